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

// A set of site indices with O(1) insert and O(1) reset: each slot remembers the epoch in which
// it was last marked, so starting a new set only increments the epoch (no clearing pass).

#ifndef ASYNET_CORE_CPP__MARKER_H_
#define ASYNET_CORE_CPP__MARKER_H_

#include <algorithm>
#include <cstdint>
#include <vector>

namespace asynet
{

class Marker
{
public:
  // Start an empty set over indices [0, size).
  void reset(int64_t size)
  {
    if (static_cast<int64_t>(stamp_.size()) < size) {
      stamp_.resize(static_cast<size_t>(size), 0);
    }
    if (++epoch_ == 0) {  // wrapped around: old stamps could collide, clear once
      std::fill(stamp_.begin(), stamp_.end(), 0);
      epoch_ = 1;
    }
  }

  // Insert i; true if it was not in the set yet.
  bool insert(int64_t i)
  {
    uint32_t & s = stamp_[static_cast<size_t>(i)];
    if (s == epoch_) {
      return false;
    }
    s = epoch_;
    return true;
  }

  bool contains(int64_t i) const {return stamp_[static_cast<size_t>(i)] == epoch_;}

private:
  std::vector<uint32_t> stamp_;
  uint32_t epoch_ = 0;
};

}  // namespace asynet

#endif  // ASYNET_CORE_CPP__MARKER_H_
