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

// Incremental event histogram (the twin of asynet_core.ops_ref.histogram_update): events enter
// and leave the window, per-cell OFF/ON counts change, and exactly the cells whose counts or
// activity changed are reported, in row-major order.

#include <cstdint>

#include "asynet_core_cpp/changes.h"
#include "asynet_core_cpp/kernels.h"

namespace asynet
{

HistogramChange histogram_update(
  int64_t * counts, float * map, int64_t cells, const int64_t * added, const int16_t * added_p,
  int64_t n_added, const int64_t * removed, const int16_t * removed_p, int64_t n_removed)
{
  Snapshot snapshot(map, counts, cells, 2);
  auto apply = [&](const int64_t * flat, const int16_t * p, int64_t n, float step) {
      for (int64_t j = 0; j < n; ++j) {
        const int64_t c = flat[j];
        snapshot.touch(c);
        map[2 * c + (p[j] != 0 ? 1 : 0)] += step;
        counts[c] += step > 0 ? 1 : -1;
      }
    };
  apply(added, added_p, n_added, 1.0F);
  apply(removed, removed_p, n_removed, -1.0F);
  return snapshot.changes([](int64_t) {});
}

}  // namespace asynet
