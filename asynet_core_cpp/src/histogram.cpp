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

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "asynet_core_cpp/kernels.h"
#include "asynet_core_cpp/marker.h"

namespace asynet
{

HistogramChange histogram_update(
  int64_t * counts, float * map, int64_t cells, const int64_t * added, const int16_t * added_p,
  int64_t n_added, const int64_t * removed, const int16_t * removed_p, int64_t n_removed)
{
  thread_local Marker seen;
  seen.reset(cells);
  std::vector<int64_t> touched;
  std::vector<float> before;  // [touched, 2] values before the update
  std::vector<uint8_t> was_active;
  auto apply = [&](const int64_t * flat, const int16_t * p, int64_t n, float step) {
      for (int64_t j = 0; j < n; ++j) {
        const int64_t c = flat[j];
        if (seen.insert(c)) {
          touched.push_back(c);
          before.insert(before.end(), map + 2 * c, map + 2 * c + 2);
          was_active.push_back(counts[c] > 0 ? 1 : 0);
        }
        map[2 * c + (p[j] != 0 ? 1 : 0)] += step;
        counts[c] += step > 0 ? 1 : -1;
      }
    };
  apply(added, added_p, n_added, 1.0F);
  apply(removed, removed_p, n_removed, -1.0F);
  std::vector<size_t> order(touched.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {return touched[a] < touched[b];});
  HistogramChange out;
  for (const size_t i : order) {
    const int64_t c = touched[i];
    const bool active = counts[c] > 0;
    if (map[2 * c] != before[2 * i] || map[2 * c + 1] != before[2 * i + 1] ||
      active != (was_active[i] != 0))
    {
      out.cells.push_back(c);
      out.values.insert(out.values.end(), map + 2 * c, map + 2 * c + 2);
      out.active.push_back(active ? 1 : 0);
    }
  }
  return out;
}

}  // namespace asynet
