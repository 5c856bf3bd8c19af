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

// Prophesee EVT 3.0 decoding (the compiled twin of asynet_core.ops_ref.evt3_decode).
//
// A stream of little-endian 16-bit words is decoded packet after packet; the decoder state is an
// explicit struct that the caller passes in and gets back, so a packet may end at any word. The
// callers (bindings.cpp) check the arguments; evt3_scan() checks the word types before any state
// is touched.

#ifndef ASYNET_CORE_CPP__EVT3_H_
#define ASYNET_CORE_CPP__EVT3_H_

#include <cstdint>
#include <vector>

namespace asynet
{

// One CD event, laid out as asynet_core.events.EVENT_DTYPE (16 bytes, t at offset 8).
struct EventCD
{
  uint16_t x;
  uint16_t y;
  int16_t p;
  int16_t pad;  // always 0, so the returned bytes are deterministic
  int64_t t;  // µs
};
static_assert(sizeof(EventCD) == 16, "EventCD must match EVENT_DTYPE");

// One external-trigger event: edge (1 rising, 0 falling), time in µs, channel id.
struct Evt3Trigger
{
  int64_t p;
  int64_t t;
  int64_t id;
};

// The decoder state, in the order of asynet_core.ops_ref.EVT3_STATE_FIELDS (-1: not seen yet).
struct Evt3State
{
  int64_t time_high_us;  // (TIME_HIGH << 12) plus the rollovers
  int64_t last_high_raw;  // last raw 12-bit TIME_HIGH, for rollover detection
  int64_t rollover_us;  // rollovers so far times 2**24
  int64_t time_low;  // last TIME_LOW
  int64_t started;  // 1 once a TIME_HIGH was followed by a TIME_LOW
  int64_t y;  // current row
  int64_t base_x;  // vector base column after the increments of the vectors seen
  int64_t vect_p;  // vector polarity
  int64_t triggers_rising;
  int64_t triggers_falling;
  int64_t dropped_out_of_range;
  int64_t dropped_before_time;
};
constexpr int64_t kEvt3StateSize = 12;
static_assert(sizeof(Evt3State) == kEvt3StateSize * sizeof(int64_t), "Evt3State is 12 int64");

// What evt3_scan() found: an upper bound of the CD events, and the first unknown word.
struct Evt3Scan
{
  int64_t max_events;  // ADDR_X words + 12 per VECT_12 + 8 per VECT_8
  int64_t first_unknown;  // index of the first word of an unknown type, -1 if none
  int64_t unknown;  // number of words of an unknown type
};

// Check the word types and bound the number of events of a packet of n words (read unaligned).
Evt3Scan evt3_scan(const uint8_t * words, int64_t n);

// Decode n words (after a successful evt3_scan) into `out`, which holds at least
// scan.max_events events; return the number written. Updates `state` and appends to `triggers`.
int64_t evt3_decode(
  const uint8_t * words, int64_t n, int64_t width, int64_t height, Evt3State & state,
  EventCD * out, std::vector<Evt3Trigger> & triggers);

}  // namespace asynet

#endif  // ASYNET_CORE_CPP__EVT3_H_
