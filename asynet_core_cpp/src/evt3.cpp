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

// Prophesee EVT 3.0 decoding (the twin of asynet_core.ops_ref.evt3_decode, which documents the
// word types).
//
// The words are decoded in blocks of 64. Per block, SIMD compares give one bit mask per word
// type. A block holding only the frequent words (ADDR_Y, ADDR_X, TIME_LOW, TIME_HIGH, EXT_TRIGGER
// and ignored words), decoded after the stream started and a row is known, takes the fast path:
// each ADDR_X finds the last ADDR_Y, TIME_LOW and TIME_HIGH before it with a leading-zero count on
// the masks, so no branch depends on the irregular order of the words (a scalar switch spends
// most of its time in mispredicted branches there). Other blocks (vectors, the stream start, the
// last partial block) go through the scalar switch. Both paths update the same state, so the
// result does not depend on where the blocks or packets are cut.

#include "asynet_core_cpp/evt3.h"

#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace asynet
{
namespace
{

enum Evt3Type : uint32_t
{
  kAddrY = 0x0,
  kAddrX = 0x2,
  kVectBaseX = 0x3,
  kVect12 = 0x4,
  kVect8 = 0x5,
  kTimeLow = 0x6,
  kTimeHigh = 0x8,
  kExtTrigger = 0xA,
};

constexpr uint32_t kUnknownTypes = (1U << 0x1) | (1U << 0xB) | (1U << 0xC) | (1U << 0xD);
// Types that send a block to the scalar path: the vectors and the unknown types.
constexpr uint32_t kSlowTypes =
  kUnknownTypes | (1U << kVectBaseX) | (1U << kVect12) | (1U << kVect8);
constexpr int64_t kPeriodUs = int64_t{1} << 24;
constexpr int64_t kRolloverTolerance = 10;
constexpr uint32_t kCoordMask = 0x7FF;
constexpr int64_t kBlock = 64;

inline uint32_t load(const uint8_t * words, int64_t i)
{
  uint16_t w;
  std::memcpy(&w, words + 2 * i, sizeof(w));  // little-endian hosts only (checked in Python)
  return w;
}

// One bit per word of a 64-word block, for the word types the fast path needs.
struct Masks
{
  uint64_t y;
  uint64_t x;
  uint64_t low;
  uint64_t high;
  uint64_t trigger;
  uint64_t slow;
};

#if defined(__SSE2__)
// 16 words -> 16 type bytes.
inline __m128i types16(const uint8_t * words)
{
  __m128i a, b;
  std::memcpy(&a, words, sizeof(a));
  std::memcpy(&b, words + 16, sizeof(b));
  return _mm_packus_epi16(_mm_srli_epi16(a, 12), _mm_srli_epi16(b, 12));
}

inline uint64_t eq16(__m128i types, int type)
{
  return static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(types, _mm_set1_epi8(
           static_cast<char>(type)))));
}

// Bytes whose type is in [lo, lo + n): (type - lo) <= n - 1 unsigned.
inline uint64_t range16(__m128i types, int lo, int n)
{
  const __m128i d = _mm_sub_epi8(types, _mm_set1_epi8(static_cast<char>(lo)));
  const __m128i in = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(static_cast<char>(n - 1))), d);
  return static_cast<uint16_t>(_mm_movemask_epi8(in));
}

inline Masks classify(const uint8_t * words)
{
  Masks m{0, 0, 0, 0, 0, 0};
  for (int j = 0; j < 4; ++j) {
    const __m128i t = types16(words + 32 * j);
    const int s = 16 * j;
    m.y |= eq16(t, kAddrY) << s;
    m.x |= eq16(t, kAddrX) << s;
    m.low |= eq16(t, kTimeLow) << s;
    m.high |= eq16(t, kTimeHigh) << s;
    m.trigger |= eq16(t, kExtTrigger) << s;
    m.slow |= (eq16(t, 0x1) | range16(t, kVectBaseX, 3) | range16(t, 0xB, 3)) << s;
  }
  return m;
}
#else
inline Masks classify(const uint8_t * words)
{
  Masks m{0, 0, 0, 0, 0, 0};
  for (int j = 0; j < kBlock; ++j) {
    const uint32_t type = load(words, j) >> 12;
    const uint64_t bit = uint64_t{1} << j;
    m.y |= type == kAddrY ? bit : 0;
    m.x |= type == kAddrX ? bit : 0;
    m.low |= type == kTimeLow ? bit : 0;
    m.high |= type == kTimeHigh ? bit : 0;
    m.trigger |= type == kExtTrigger ? bit : 0;
    m.slow |= (kSlowTypes >> type) & 1 ? bit : 0;
  }
  return m;
}
#endif

// 1 + the index of the highest set bit of m, 0 if none (m < 2**63).
inline int last_plus_one(uint64_t m)
{
  return 63 - __builtin_clzll((m << 1) | 1);
}

class Decoder
{
public:
  Decoder(
    const Evt3State & state, int64_t width, int64_t height, EventCD * out,
    std::vector<Evt3Trigger> & triggers)
  : s_(state), width_(width), height_(height), out_(out), triggers_(triggers) {}

  const Evt3State & state() const {return s_;}
  int64_t size() const {return n_out_;}

  void run(const uint8_t * words, int64_t n)
  {
    int64_t i = 0;
    for (; i + kBlock <= n; i += kBlock) {
      const uint8_t * block = words + 2 * i;
      const Masks m = classify(block);
      if (m.slow == 0 && s_.started && s_.y >= 0) {
        fast(block, m);
      } else {
        slow(block, kBlock);
      }
    }
    slow(words + 2 * i, n - i);
  }

private:
  void emit(int64_t x, int64_t y, int64_t p, int64_t t)
  {
    if (x < width_ && y < height_) {
      out_[n_out_++] = EventCD{
        static_cast<uint16_t>(x), static_cast<uint16_t>(y), static_cast<int16_t>(p), 0, t};
    } else {
      ++s_.dropped_out_of_range;
    }
  }

  void trigger(uint32_t d, int64_t t)
  {
    const int64_t edge = d & 1;
    triggers_.push_back({edge, t, (d >> 8) & 0xF});
    ++(edge ? s_.triggers_rising : s_.triggers_falling);
  }

  void time_high(uint32_t raw)
  {
    const int64_t v = raw;
    if (s_.last_high_raw >= 0 && s_.last_high_raw - v > kRolloverTolerance) {
      s_.rollover_us += kPeriodUs;
    }
    s_.last_high_raw = v;
    s_.time_high_us = s_.rollover_us + (v << 12);
  }

  void vector(uint32_t mask, int64_t step)
  {
    if (s_.base_x < 0) {
      s_.dropped_before_time += __builtin_popcount(mask);
      return;
    }
    if (s_.started && s_.y >= 0) {
      for (uint32_t m = mask; m != 0; m &= m - 1) {
        emit(s_.base_x + __builtin_ctz(m), s_.y, s_.vect_p, s_.time_high_us + s_.time_low);
      }
    } else {
      s_.dropped_before_time += __builtin_popcount(mask);
    }
    s_.base_x += step;
  }

  // Any words, one at a time.
  void slow(const uint8_t * words, int64_t n)
  {
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t w = load(words, i);
      const uint32_t d = w & 0xFFF;
      switch (w >> 12) {
        case kAddrY:
          s_.y = d & kCoordMask;
          break;
        case kAddrX:
          if (s_.started && s_.y >= 0) {
            emit(d & kCoordMask, s_.y, (d >> 11) & 1, s_.time_high_us + s_.time_low);
          } else {
            ++s_.dropped_before_time;
          }
          break;
        case kVectBaseX:
          s_.base_x = d & kCoordMask;
          s_.vect_p = (d >> 11) & 1;
          break;
        case kVect12:
          vector(d, 12);
          break;
        case kVect8:
          vector(d & 0xFF, 8);
          break;
        case kTimeLow:
          s_.time_low = d;
          s_.started |= s_.time_high_us >= 0 ? 1 : 0;
          break;
        case kTimeHigh:
          time_high(d);
          break;
        case kExtTrigger:
          if (s_.started) {
            trigger(d, s_.time_high_us + s_.time_low);
          }
          break;
        default:  // CONTINUED_4, padding, OTHERS, CONTINUED_12: ignored
          break;
      }
    }
  }

  // A block without vectors, after the start, with a known row. Slot 0 of the lookup tables
  // holds the value carried in from before the block, slot j + 1 the value set by word j.
  void fast(const uint8_t * block, const Masks & m)
  {
    uint16_t words[kBlock + 1];
    int64_t high_us[kBlock + 1];
    std::memcpy(words + 1, block, 2 * kBlock);
    high_us[0] = s_.time_high_us;
    for (uint64_t h = m.high; h != 0; h &= h - 1) {
      const int j = __builtin_ctzll(h);
      time_high(words[j + 1] & 0xFFF);
      high_us[j + 1] = s_.time_high_us;
    }
    uint16_t rows[kBlock + 1], lows[kBlock + 1];
    std::memcpy(rows + 1, block, 2 * kBlock);
    std::memcpy(lows + 1, block, 2 * kBlock);
    rows[0] = static_cast<uint16_t>(s_.y);
    lows[0] = static_cast<uint16_t>(s_.time_low);
    for (uint64_t e = m.x; e != 0; e &= e - 1) {
      const int j = __builtin_ctzll(e);
      const uint64_t before = (uint64_t{1} << j) - 1;
      const int64_t y = rows[last_plus_one(m.y & before)] & kCoordMask;
      const int64_t t = high_us[last_plus_one(m.high & before)] +
        (lows[last_plus_one(m.low & before)] & 0xFFF);
      const uint32_t d = words[j + 1];
      emit(d & kCoordMask, y, (d >> 11) & 1, t);
    }
    for (uint64_t e = m.trigger; e != 0; e &= e - 1) {
      const int j = __builtin_ctzll(e);
      const uint64_t before = (uint64_t{1} << j) - 1;
      const int64_t t = high_us[last_plus_one(m.high & before)] +
        (lows[last_plus_one(m.low & before)] & 0xFFF);
      trigger(words[j + 1] & 0xFFF, t);
    }
    if (m.y) {
      s_.y = words[kBlock - __builtin_clzll(m.y)] & kCoordMask;
    }
    if (m.low) {
      s_.time_low = words[kBlock - __builtin_clzll(m.low)] & 0xFFF;
    }
  }

  Evt3State s_;
  int64_t width_;
  int64_t height_;
  EventCD * out_;
  std::vector<Evt3Trigger> & triggers_;
  int64_t n_out_ = 0;
};

}  // namespace

Evt3Scan evt3_scan(const uint8_t * words, int64_t n)
{
  // Branch-free, so the compiler vectorises it: events per word are 1 for ADDR_X, at most 12
  // and 8 for the vectors.
  int64_t max_events = 0;
  int64_t unknown = 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t type = load(words, i) >> 12;
    max_events += (type == kAddrX) + 12 * (type == kVect12) + 8 * (type == kVect8);
    unknown += (kUnknownTypes >> type) & 1;
  }
  Evt3Scan scan{max_events, -1, unknown};
  for (int64_t i = 0; unknown > 0 && scan.first_unknown < 0; ++i) {
    if ((kUnknownTypes >> (load(words, i) >> 12)) & 1) {
      scan.first_unknown = i;
    }
  }
  return scan;
}

int64_t evt3_decode(
  const uint8_t * words, int64_t n, int64_t width, int64_t height, Evt3State & state,
  EventCD * out, std::vector<Evt3Trigger> & triggers)
{
  Decoder decoder(state, width, height, out, triggers);
  decoder.run(words, n);
  state = decoder.state();
  return decoder.size();
}

}  // namespace asynet
