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

// 3x3 stride-2 max-pool update of a post-ReLU map (the twin of ops_ref.pool_update).

#include <algorithm>
#include <cstdint>
#include <vector>

#include "asynet_core_cpp/changes.h"
#include "asynet_core_cpp/kernels.h"

namespace asynet
{

template<typename T>
LayerResult<T> pool_update(const PoolLayer<T> & layer, const Change<T> & change)
{
  LayerResult<T> result;
  // The pooled sites whose window holds a changed or switched input.
  const std::vector<int64_t> touched = outputs_of(
    layer.outputs, layer.z.rows - 1,
    {{change.sites, change.n}, {change.born, change.n_born}, {change.died, change.n_died}});
  const int64_t c = layer.z.cols;
  std::vector<T> fresh(static_cast<size_t>(c));
  for (const int64_t o : touched) {
    const int64_t * window = layer.inputs + o * kTaps;
    const T * first = layer.x.data + window[0] * c;
    std::copy(first, first + c, fresh.begin());
    bool now = layer.in_active[window[0]] != 0;
    for (int64_t k = 1; k < kTaps; ++k) {
      const T * row = layer.x.data + window[k] * c;
      for (int64_t j = 0; j < c; ++j) {
        fresh[j] = std::max(fresh[j], row[j]);
      }
      now = now || layer.in_active[window[k]] != 0;
    }
    const bool before = layer.out_active[o] != 0;
    if (now && !before) {
      result.born.push_back(o);
    } else if (before && !now) {
      result.died.push_back(o);
    }
    layer.out_active[o] = now ? 1 : 0;
    T * z = layer.z.data + o * c;
    if (!std::equal(fresh.begin(), fresh.end(), z)) {
      result.sites.push_back(o);
      for (int64_t j = 0; j < c; ++j) {
        result.delta.push_back(fresh[j] - z[j]);
      }
      std::copy(fresh.begin(), fresh.end(), z);
    }
  }
  result.touched = static_cast<int64_t>(touched.size());
  return result;
}

template LayerResult<float> pool_update<float>(const PoolLayer<float> &, const Change<float> &);
template LayerResult<double> pool_update<double>(
  const PoolLayer<double> &, const Change<double> &);

}  // namespace asynet
