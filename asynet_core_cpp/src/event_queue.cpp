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

// Incremental event queue (the twin of asynet_core.ops_ref.event_queue_update). Every cell keeps
// its k newest events of the window, newest first. An entering event goes to the front (the
// oldest slot falls off when the cell already holds k). A leaving event is the cell's oldest in
// the window, so it is in the queue only when the cell holds at most k events: its last slot.

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "asynet_core_cpp/kernels.h"
#include "asynet_core_cpp/marker.h"

namespace asynet
{
namespace
{

// The cell's map row from its queue: normalised ages (newest first), then polarities as +-1.
void queue_row(const QueueState & s, int64_t c, float * row)
{
  const int64_t k = s.k;
  const int64_t n = std::min(s.counts[c], k);
  std::fill(row, row + 2 * k, 0.0F);
  if (n == 0) {
    return;
  }
  const int64_t * t = s.t_us + c * k;
  const int16_t * p = s.p + c * k;
  const double scale = static_cast<double>(std::max<int64_t>(t[0] - t[n - 1], 1));
  for (int64_t j = 0; j < n; ++j) {
    row[j] = static_cast<float>(static_cast<double>(t[0] - t[j]) / scale);
    row[k + j] = p[j] != 0 ? 1.0F : -1.0F;
  }
}

}  // namespace

HistogramChange event_queue_update(
  const QueueState & s, const int64_t * added, const int64_t * added_t, const int16_t * added_p,
  int64_t n_added, const int64_t * removed, int64_t n_removed)
{
  thread_local Marker seen;
  seen.reset(s.cells);
  const int64_t k = s.k;
  std::vector<int64_t> touched;
  std::vector<float> before;  // [touched, 2k]
  std::vector<uint8_t> was_active;
  auto touch = [&](int64_t c) {
      if (seen.insert(c)) {
        touched.push_back(c);
        before.insert(before.end(), s.map + c * 2 * k, s.map + (c + 1) * 2 * k);
        was_active.push_back(s.counts[c] > 0 ? 1 : 0);
      }
    };
  for (int64_t j = 0; j < n_added; ++j) {
    const int64_t c = added[j];
    touch(c);
    int64_t * t = s.t_us + c * k;
    int16_t * p = s.p + c * k;
    std::copy_backward(t, t + k - 1, t + k);
    std::copy_backward(p, p + k - 1, p + k);
    t[0] = added_t[j];
    p[0] = added_p[j];
    s.counts[c] += 1;
  }
  for (int64_t j = 0; j < n_removed; ++j) {
    const int64_t c = removed[j];
    touch(c);
    if (s.counts[c] <= k) {  // the leaving event is the cell's oldest: its last filled slot
      s.t_us[c * k + s.counts[c] - 1] = 0;
      s.p[c * k + s.counts[c] - 1] = 0;
    }
    s.counts[c] -= 1;
  }
  std::vector<size_t> order(touched.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {return touched[a] < touched[b];});
  HistogramChange out;
  for (const size_t i : order) {
    const int64_t c = touched[i];
    float * row = s.map + c * 2 * k;
    queue_row(s, c, row);
    const bool active = s.counts[c] > 0;
    if (!std::equal(row, row + 2 * k, before.begin() + static_cast<int64_t>(i) * 2 * k) ||
      active != (was_active[i] != 0))
    {
      out.cells.push_back(c);
      out.values.insert(out.values.end(), row, row + 2 * k);
      out.active.push_back(active ? 1 : 0);
    }
  }
  return out;
}

}  // namespace asynet
