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
#include <vector>

#include "asynet_core_cpp/changes.h"
#include "asynet_core_cpp/kernels.h"

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
  const int64_t k = s.k;
  Snapshot snapshot(s.map, s.counts, s.cells, 2 * k);
  for (int64_t j = 0; j < n_added; ++j) {
    const int64_t c = added[j];
    snapshot.touch(c);
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
    snapshot.touch(c);
    if (s.counts[c] <= k) {  // the leaving event is the cell's oldest: its last filled slot
      s.t_us[c * k + s.counts[c] - 1] = 0;
      s.p[c * k + s.counts[c] - 1] = 0;
    }
    s.counts[c] -= 1;
  }
  return snapshot.changes([&](int64_t c) {queue_row(s, c, s.map + c * 2 * k);});
}

}  // namespace asynet
