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

// Helpers shared by the layer and representation updates to find what an update touched and
// what really changed.

#ifndef ASYNET_CORE_CPP__CHANGES_H_
#define ASYNET_CORE_CPP__CHANGES_H_

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <numeric>
#include <utility>
#include <vector>

#include "asynet_core_cpp/kernels.h"
#include "asynet_core_cpp/marker.h"

namespace asynet
{

using SiteList = std::pair<const int64_t *, int64_t>;  // (sites, count)

// Sorted unique output sites (never the sentinel) that the outputs table links to any site.
inline std::vector<int64_t> outputs_of(
  const int64_t * outputs, int64_t sentinel, std::initializer_list<SiteList> lists)
{
  thread_local Marker seen;
  seen.reset(sentinel + 1);
  std::vector<int64_t> found;
  for (const auto & [sites, n] : lists) {
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t k = 0; k < kTaps; ++k) {
        const int64_t o = outputs[sites[j] * kTaps + k];
        if (o != sentinel && seen.insert(o)) {
          found.push_back(o);
        }
      }
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

// The cells an update touches, with their map rows and activity from before the update.
class Snapshot
{
public:
  Snapshot(const float * map, const int64_t * counts, int64_t cells, int64_t channels)
  : map_(map), counts_(counts), channels_(channels)
  {
    seen().reset(cells);
  }

  // Record cell c the first time it is touched (call before changing it).
  void touch(int64_t c)
  {
    if (seen().insert(c)) {
      cells_.push_back(c);
      before_.insert(before_.end(), map_ + c * channels_, map_ + (c + 1) * channels_);
      was_active_.push_back(counts_[c] > 0 ? 1 : 0);
    }
  }

  // The touched cells whose row or activity differ now, row-major; refresh(c) runs first on
  // each touched cell (to rebuild its row from other state).
  template<typename Refresh>
  HistogramChange changes(Refresh refresh) const
  {
    std::vector<size_t> order(cells_.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {return cells_[a] < cells_[b];});
    HistogramChange out;
    for (const size_t i : order) {
      const int64_t c = cells_[i];
      refresh(c);
      const float * row = map_ + c * channels_;
      const bool active = counts_[c] > 0;
      const auto old = before_.begin() + static_cast<int64_t>(i) * channels_;
      if (!std::equal(row, row + channels_, old) || active != (was_active_[i] != 0)) {
        out.cells.push_back(c);
        out.values.insert(out.values.end(), row, row + channels_);
        out.active.push_back(active ? 1 : 0);
      }
    }
    return out;
  }

private:
  static Marker & seen()
  {
    thread_local Marker marker;
    return marker;
  }

  const float * map_;
  const int64_t * counts_;
  int64_t channels_;
  std::vector<int64_t> cells_;
  std::vector<float> before_;
  std::vector<uint8_t> was_active_;
};

}  // namespace asynet

#endif  // ASYNET_CORE_CPP__CHANGES_H_
