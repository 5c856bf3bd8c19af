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

// Incremental first linear layer of the head (the twin of ops_ref.linear_update): only the
// changed head-map sites contribute, each channel an axpy over the output features.

#include <cstdint>
#include <vector>

#include "asynet_core_cpp/kernels.h"

namespace asynet
{

template<typename T>
void linear_update(
  double * acc, const int64_t * sites, const T * delta, int64_t n, const T * w_site,
  int64_t channels, int64_t features)
{
  // This update's contribution summed in T (full SIMD width), then added to the float64
  // accumulator once: its rounding is relative to this update's terms only, never to the
  // accumulated value, so it does not grow with the number of updates.
  thread_local std::vector<T> sum;
  sum.assign(static_cast<size_t>(features), T(0));
  for (int64_t j = 0; j < n; ++j) {
    const T * row = w_site + sites[j] * channels * features;
    for (int64_t c = 0; c < channels; ++c) {
      const T d = delta[j * channels + c];
      if (d == T(0)) {
        continue;
      }
      const T * w = row + c * features;
      for (int64_t f = 0; f < features; ++f) {
        sum[f] += d * w[f];
      }
    }
  }
  for (int64_t f = 0; f < features; ++f) {
    acc[f] += static_cast<double>(sum[f]);
  }
}

template void linear_update<float>(
  double *, const int64_t *, const float *, int64_t, const float *, int64_t, int64_t);
template void linear_update<double>(
  double *, const int64_t *, const double *, int64_t, const double *, int64_t, int64_t);

}  // namespace asynet
