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

// Layer updates of the asynchronous engine (the compiled twin of asynet_core/ops_ref.py).
//
// Maps are row-major [S + 1, C] with a zero, inactive sentinel row S. Tables are [S + 1, 9]
// int64: inputs[o * 9 + k] is the input site of output o through tap k, outputs[i * 9 + k] the
// output fed by input i through tap k; out-of-grid entries hold the sentinel. The callers
// (bindings.cpp) validate shapes, dtypes and index ranges before calling these functions.

#ifndef ASYNET_CORE_CPP__KERNELS_H_
#define ASYNET_CORE_CPP__KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace asynet
{

constexpr int64_t kTaps = 9;

// Allocator of 64-byte aligned memory: packed weight panels start on a cache line, so the
// kernel's 512-bit loads never straddle two lines.
template<typename T>
struct CacheAligned
{
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};

  CacheAligned() = default;
  template<typename U>
  explicit CacheAligned(const CacheAligned<U> &) {}

  T * allocate(size_t n) {return static_cast<T *>(::operator new(n * sizeof(T), kAlign));}
  void deallocate(T * p, size_t) {::operator delete(p, kAlign);}

  template<typename U>
  bool operator==(const CacheAligned<U> &) const {return true;}
  template<typename U>
  bool operator!=(const CacheAligned<U> &) const {return false;}
};

template<typename T>
using AlignedVector = std::vector<T, CacheAligned<T>>;

// A dense site map: `rows` sites (the last one is the sentinel) of `cols` channels.
template<typename T>
struct SiteMap
{
  T * data;
  int64_t rows;
  int64_t cols;
};

// The change of one map: value changes (sites, delta [n, cols]) and activity switches.
template<typename T>
struct Change
{
  const int64_t * sites;
  const T * delta;
  int64_t n;
  const int64_t * born;
  int64_t n_born;
  const int64_t * died;
  int64_t n_died;
};

// What a layer update changed in its output, and the work it did.
template<typename T>
struct LayerResult
{
  std::vector<int64_t> sites;
  std::vector<T> delta;  // [sites.size(), channels]
  std::vector<int64_t> born;
  std::vector<int64_t> died;
  int64_t rules = 0;
  int64_t delta_rules = 0;
  int64_t touched = 0;
};

template<typename T>
struct ConvLayer
{
  SiteMap<double> y;  // raw outputs [S_out + 1, C_out], float64 whatever T (see linear_update)
  SiteMap<T> z;  // post-activation outputs, 0 where inactive
  uint8_t * out_active;  // [S_out + 1] (the input's array for a submanifold conv)
  SiteMap<const T> x;  // current input map [S_in + 1, C_in]
  const uint8_t * in_active;  // [S_in + 1]
  const int64_t * inputs;  // [S_out + 1, 9]
  const int64_t * outputs;  // [S_in + 1, 9]
  const T * taps;  // [9, C_in, C_out]
  const T * packed;  // pack_taps(taps)
  int64_t packed_size;  // elements in packed (9 equal parts, one per tap)
  const T * scale;  // [C_out]
  const T * shift;  // [C_out]
  bool submanifold;
};

template<typename T>
LayerResult<T> conv_update(const ConvLayer<T> & layer, const Change<T> & change);

template<typename T>
struct PoolLayer
{
  SiteMap<T> z;  // pooled map [S_out + 1, C]
  uint8_t * out_active;  // [S_out + 1]
  SiteMap<const T> x;  // current input map [S_in + 1, C], >= 0, 0 where inactive
  const uint8_t * in_active;  // [S_in + 1]
  const int64_t * inputs;  // [S_out + 1, 9]
  const int64_t * outputs;  // [S_in + 1, 9]
};

template<typename T>
LayerResult<T> pool_update(const PoolLayer<T> & layer, const Change<T> & change);

// acc[f] += sum_{j, c} delta[j, c] * w_site[sites[j], c, f]
// acc is float64 for both T: each update's contribution (summed in T) is added to it once, so the
// rounding does not grow with the accumulated value or the number of updates (no drift).
template<typename T>
void linear_update(
  double * acc, const int64_t * sites, const T * delta, int64_t n, const T * w_site,
  int64_t channels, int64_t features);

// y[dst[r]] += src[r] @ w for every rule r (w: [c_in, c_out] row-major; packed: the same
// weights as pack_taps lays them out for one tap).
// y[dst[r]] += src[r] @ w: the products and each rule's sum in T, added to float64 outputs.
template<typename T>
void apply_rules(
  const T * const * src, double * const * dst, int64_t count, const T * w, const T * packed,
  int64_t c_in, int64_t c_out);

// Per tap, the column panels of taps [9, c_in, c_out] that apply_rules blocks over, each
// contiguous (c_in x panel width); tail columns are read from taps directly.
template<typename T>
AlignedVector<T> pack_taps(const T * taps, int64_t c_in, int64_t c_out);

// Cells whose representation vector or activity changed, row-major, with their new values.
struct HistogramChange
{
  std::vector<int64_t> cells;
  std::vector<float> values;  // [cells.size(), C]
  std::vector<uint8_t> active;
};

// counts [cells] and map [cells, 2] updated in place; added/removed are flat cells with their
// polarity (0 OFF, 1 ON); removed events must be in the window (counts stay >= 0).
HistogramChange histogram_update(
  int64_t * counts, float * map, int64_t cells, const int64_t * added, const int16_t * added_p,
  int64_t n_added, const int64_t * removed, const int16_t * removed_p, int64_t n_removed);

// An event queue's state: per cell the number of window events and its k newest events
// (timestamps in µs and polarities, newest first, 0 where empty), and the map [cells, 2k].
struct QueueState
{
  int64_t * counts;
  float * map;
  int64_t * t_us;  // [cells, k]
  int16_t * p;  // [cells, k]
  int64_t cells;
  int64_t k;
};

// Like histogram_update for the event queue: added events with their cells, times and
// polarities enter (in time order); removed events (their cells) leave, oldest first.
HistogramChange event_queue_update(
  const QueueState & state, const int64_t * added, const int64_t * added_t,
  const int16_t * added_p, int64_t n_added, const int64_t * removed, int64_t n_removed);

}  // namespace asynet

#endif  // ASYNET_CORE_CPP__KERNELS_H_
