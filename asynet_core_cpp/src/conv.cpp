// Copyright 2026 asynet_ros contributors
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Conv + eval BatchNorm + ReLU layer update (the twin of ops_ref.conv_update).
//
// Rules are built per tap from the dense neighbour tables: difference rules from changed inputs
// into outputs that stay active, full rules from every active input into outputs that switch on
// (whose raw value is rebuilt from zero). Each tap's rules then go through one blocked GEMM.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "asynet_core_cpp/changes.h"
#include "asynet_core_cpp/kernels.h"
#include "asynet_core_cpp/marker.h"

namespace asynet
{
namespace
{

// Geometric activity of a stride-2 layer's outputs whose window holds a switched input.
template<typename T>
void strided_activity(
  const ConvLayer<T> & layer, const Change<T> & change, std::vector<int64_t> & born,
  std::vector<int64_t> & died)
{
  const std::vector<int64_t> candidates = outputs_of(
    layer.outputs, layer.y.rows - 1, {{change.born, change.n_born}, {change.died, change.n_died}});
  for (const int64_t o : candidates) {
    bool now = false;
    for (int64_t k = 0; k < kTaps; ++k) {
      now = now || layer.in_active[layer.inputs[o * kTaps + k]] != 0;
    }
    const bool before = layer.out_active[o] != 0;
    if (now && !before) {
      born.push_back(o);
    } else if (before && !now) {
      died.push_back(o);
    }
    layer.out_active[o] = now ? 1 : 0;
  }
}

template<typename M>
void zero_rows(const SiteMap<M> & map, const std::vector<int64_t> & rows)
{
  for (const int64_t o : rows) {
    std::fill(map.data + o * map.cols, map.data + (o + 1) * map.cols, M(0));
  }
}

// Apply every tap's rules to y; returns the outputs reached by difference rules.
template<typename T>
std::vector<int64_t> apply_conv_rules(
  const ConvLayer<T> & layer, const Change<T> & change, const std::vector<int64_t> & born,
  LayerResult<T> & result)
{
  thread_local Marker is_born;
  thread_local Marker reached;
  thread_local std::vector<const T *> src;
  thread_local std::vector<double *> dst;
  const int64_t c_in = layer.x.cols;
  const int64_t c_out = layer.y.cols;
  is_born.reset(layer.y.rows);
  for (const int64_t o : born) {
    is_born.insert(o);
  }
  reached.reset(layer.y.rows);
  std::vector<int64_t> hit;
  for (int64_t k = 0; k < kTaps; ++k) {
    src.clear();
    dst.clear();
    for (int64_t j = 0; j < change.n; ++j) {
      const int64_t o = layer.outputs[change.sites[j] * kTaps + k];
      if (layer.out_active[o] != 0 && !is_born.contains(o)) {
        src.push_back(change.delta + j * c_in);
        dst.push_back(layer.y.data + o * c_out);
        if (reached.insert(o)) {
          hit.push_back(o);
        }
      }
    }
    result.delta_rules += static_cast<int64_t>(src.size());
    for (const int64_t o : born) {
      const int64_t i = layer.inputs[o * kTaps + k];
      if (layer.in_active[i] != 0) {
        src.push_back(layer.x.data + i * c_in);
        dst.push_back(layer.y.data + o * c_out);
      }
    }
    result.rules += static_cast<int64_t>(src.size());
    const int64_t blocked_size = static_cast<int64_t>(layer.packed_size / kTaps);
    apply_rules<T>(
      src.data(), dst.data(), static_cast<int64_t>(src.size()), layer.taps + k * c_in * c_out,
      layer.packed + k * blocked_size, c_in, c_out);
  }
  return hit;
}

// BN + ReLU on the touched outputs; store them and record the rows that changed.
template<typename T>
void activate(const ConvLayer<T> & layer, const std::vector<int64_t> & touched, LayerResult<T> & r)
{
  const int64_t c = layer.y.cols;
  std::vector<T> fresh(static_cast<size_t>(c));
  for (const int64_t o : touched) {
    const double * y = layer.y.data + o * c;
    T * z = layer.z.data + o * c;
    const T gate = layer.out_active[o] != 0 ? T(1) : T(0);
    int moved = 0;  // branch-free loops so that both vectorise
    for (int64_t j = 0; j < c; ++j) {  // y rounded to T once: BN + ReLU in T as before
      const T v = static_cast<T>(y[j]) * layer.scale[j] + layer.shift[j];
      fresh[j] = (v > T(0) ? v : T(0)) * gate;
    }
    for (int64_t j = 0; j < c; ++j) {
      moved |= fresh[j] != z[j];
    }
    if (moved) {
      r.sites.push_back(o);
      for (int64_t j = 0; j < c; ++j) {
        r.delta.push_back(fresh[j] - z[j]);
      }
      std::copy(fresh.begin(), fresh.end(), z);
    }
  }
}

}  // namespace

template<typename T>
LayerResult<T> conv_update(const ConvLayer<T> & layer, const Change<T> & change)
{
  LayerResult<T> result;
  if (layer.submanifold) {
    result.born.assign(change.born, change.born + change.n_born);
    result.died.assign(change.died, change.died + change.n_died);
  } else {
    strided_activity(layer, change, result.born, result.died);
  }
  zero_rows(layer.y, result.born);
  zero_rows(layer.y, result.died);
  std::vector<int64_t> touched = apply_conv_rules(layer, change, result.born, result);
  thread_local Marker seen;
  seen.reset(layer.y.rows);
  for (const int64_t o : touched) {
    seen.insert(o);
  }
  for (const auto * list : {&result.born, &result.died}) {
    for (const int64_t o : *list) {
      if (seen.insert(o)) {
        touched.push_back(o);
      }
    }
  }
  std::sort(touched.begin(), touched.end());
  activate(layer, touched, result);
  result.touched = static_cast<int64_t>(touched.size());
  return result;
}

template LayerResult<float> conv_update<float>(const ConvLayer<float> &, const Change<float> &);
template LayerResult<double> conv_update<double>(
  const ConvLayer<double> &, const Change<double> &);

}  // namespace asynet
