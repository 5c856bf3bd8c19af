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

// The Python module asynet_core_cpp._ext: class and function definitions with their docstrings.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "asynet_core_cpp/checks.h"
#include "asynet_core_cpp/evt3.h"
#include "asynet_core_cpp/kernels.h"
#include "asynet_core_cpp/py_layers.h"

namespace py = pybind11;

namespace asynet
{
namespace
{

template<typename T>
void linear_impl(
  const std::string & dt, py::object acc_o, py::object sites_o, py::object delta_o,
  py::object w_o)
{
  const Arg arg{"linear_update"};
  py::array w = arg(w_o, "w_site", dt, {-1, -1, -1});
  const int64_t n_sites = w.shape(0);
  py::array acc = arg(acc_o, "acc", "float64", {w.shape(2)}, true);
  py::array sites = arg(sites_o, "sites", "int64", {-1});
  py::array delta = arg(delta_o, "delta", dt, {sites.shape(0), w.shape(1)});
  check_sites("linear_update", "sites", sites, n_sites);
  double * out = data<double>(acc);
  py::gil_scoped_release release;
  linear_update<T>(
    out, cdata<int64_t>(sites), cdata<T>(delta), sites.shape(0), cdata<T>(w), w.shape(1),
    w.shape(2));
}

void linear_update_py(py::object acc, py::object sites, py::object delta, py::object w_site)
{
  const std::string dt = float_dtype("linear_update", "w_site", w_site);
  (dt == "float32" ? linear_impl<float> : linear_impl<double>)(dt, acc, sites, delta, w_site);
}

void check_polarity(const char * fn, const char * name, const py::array & p)
{
  const int16_t * v = cdata<int16_t>(p);
  for (py::ssize_t j = 0; j < p.shape(0); ++j) {
    if (v[j] != 0 && v[j] != 1) {
      throw py::value_error(
              std::string(fn) + ": " + name + "[" + std::to_string(j) + "] = " +
              std::to_string(v[j]) + " is not a polarity (0 or 1)");
    }
  }
}

py::tuple to_python(HistogramChange && change, int64_t channels)
{
  const auto n = static_cast<py::ssize_t>(change.cells.size());
  return py::make_tuple(
    to_numpy(std::move(change.cells), {n}), to_numpy(std::move(change.values), {n, channels}),
    to_numpy(std::move(change.active), {n}).attr("astype")("bool"));
}

// Removed events must be in the window: no cell's count may go below zero.
void check_counts(
  const char * fn, const py::array & counts, const py::array & added, const py::array & removed)
{
  std::vector<std::pair<int64_t, int64_t>> delta;  // (cell, +1 / -1), grouped by cell below
  for (py::ssize_t j = 0; j < added.shape(0); ++j) {
    delta.emplace_back(cdata<int64_t>(added)[j], 1);
  }
  for (py::ssize_t j = 0; j < removed.shape(0); ++j) {
    delta.emplace_back(cdata<int64_t>(removed)[j], -1);
  }
  std::sort(delta.begin(), delta.end());
  const int64_t * c = cdata<int64_t>(counts);
  for (size_t j = 0; j < delta.size(); ) {
    int64_t sum = c[delta[j].first];
    size_t k = j;
    for (; k < delta.size() && delta[k].first == delta[j].first; ++k) {
      sum += delta[k].second;
    }
    if (sum < 0) {
      throw py::value_error(
              std::string(fn) + ": removing events from cell " + std::to_string(delta[j].first) +
              " would leave " + std::to_string(sum) + " events there");
    }
    j = k;
  }
}

py::tuple histogram_update_py(
  py::object counts_o, py::object map_o, py::object added_o, py::object added_p_o,
  py::object removed_o, py::object removed_p_o)
{
  const char * fn = "histogram_update";
  const Arg arg{fn};
  py::array counts = arg(counts_o, "counts", "int64", {-1}, true);
  const int64_t cells = counts.shape(0);
  py::array map = arg(map_o, "map", "float32", {cells, 2}, true);
  py::array added = arg(added_o, "added", "int64", {-1});
  py::array added_p = arg(added_p_o, "added_p", "int16", {added.shape(0)});
  py::array removed = arg(removed_o, "removed", "int64", {-1});
  py::array removed_p = arg(removed_p_o, "removed_p", "int16", {removed.shape(0)});
  check_sites(fn, "added", added, cells);
  check_sites(fn, "removed", removed, cells);
  check_polarity(fn, "added_p", added_p);
  check_polarity(fn, "removed_p", removed_p);
  check_counts(fn, counts, added, removed);
  HistogramChange change;
  {
    int64_t * counts_data = data<int64_t>(counts);
    float * map_data = data<float>(map);
    py::gil_scoped_release release;
    change = histogram_update(
      counts_data, map_data, cells, cdata<int64_t>(added), cdata<int16_t>(added_p),
      added.shape(0), cdata<int64_t>(removed), cdata<int16_t>(removed_p), removed.shape(0));
  }
  return to_python(std::move(change), 2);
}


py::tuple event_queue_update_py(
  py::object counts_o, py::object map_o, py::object t_o, py::object p_o, py::object added_o,
  py::object added_t_o, py::object added_p_o, py::object removed_o)
{
  const char * fn = "event_queue_update";
  const Arg arg{fn};
  py::array counts = arg(counts_o, "counts", "int64", {-1}, true);
  const int64_t cells = counts.shape(0);
  py::array queue_t = arg(t_o, "queue_t", "int64", {cells, -1}, true);
  const int64_t k = queue_t.shape(1);
  if (k < 1) {
    throw py::value_error(std::string(fn) + ": queue_t needs at least one slot per cell");
  }
  py::array queue_p = arg(p_o, "queue_p", "int16", {cells, k}, true);
  py::array map = arg(map_o, "map", "float32", {cells, 2 * k}, true);
  py::array added = arg(added_o, "added", "int64", {-1});
  py::array added_t = arg(added_t_o, "added_t", "int64", {added.shape(0)});
  py::array added_p = arg(added_p_o, "added_p", "int16", {added.shape(0)});
  py::array removed = arg(removed_o, "removed", "int64", {-1});
  check_sites(fn, "added", added, cells);
  check_sites(fn, "removed", removed, cells);
  check_polarity(fn, "added_p", added_p);
  check_counts(fn, counts, added, removed);
  const QueueState state{
    data<int64_t>(counts), data<float>(map), data<int64_t>(queue_t), data<int16_t>(queue_p),
    cells, k};
  HistogramChange change;
  {
    py::gil_scoped_release release;
    change = event_queue_update(
      state, cdata<int64_t>(added), cdata<int64_t>(added_t), cdata<int16_t>(added_p),
      added.shape(0), cdata<int64_t>(removed), removed.shape(0));
  }
  return to_python(std::move(change), 2 * k);
}

// A 1-D C-contiguous native uint16 array (the Arg checker knows no unsigned dtypes).
py::array evt3_words(const py::object & obj)
{
  const std::string where = "evt3_decode: words";
  if (!py::isinstance<py::array>(obj)) {
    throw py::type_error(
            where + " must be a numpy array, got " +
            std::string(py::str(py::type::of(obj).attr("__name__"))));
  }
  py::array a = py::reinterpret_borrow<py::array>(obj);
  const py::dtype dt = a.dtype();
  const char order = dt.byteorder();
  if (dt.kind() != 'u' || dt.itemsize() != 2 || !(order == '=' || order == '<')) {
    throw py::type_error(
            where + " must have dtype uint16 (little-endian), got " + std::string(py::str(dt)));
  }
  if (a.ndim() != 1) {
    throw py::value_error(where + " must have shape (?,), got " + shape_str(a));
  }
  if (!(a.flags() & py::array::c_style)) {
    throw py::value_error(where + " must be C-contiguous");
  }
  return a;
}

std::string evt3_unknown_message(const uint8_t * words, const Evt3Scan & scan)
{
  uint16_t w;
  std::memcpy(&w, words + 2 * scan.first_unknown, sizeof(w));
  char text[160];
  std::snprintf(
    text, sizeof(text), "evt3 word %lld (0x%04x) has unknown type 0x%x (%lld unknown words in "
    "the packet)", static_cast<long long>(scan.first_unknown), w, w >> 12,
    static_cast<long long>(scan.unknown));
  return text;
}

py::tuple evt3_decode_py(py::object words_o, int64_t width, int64_t height, py::object state_o)
{
  const char * fn = "evt3_decode";
  py::array words = evt3_words(words_o);
  py::array state_in = Arg{fn}(state_o, "state", "int64", {kEvt3StateSize});
  const auto * bytes = static_cast<const uint8_t *>(words.data());
  const int64_t n = words.shape(0);
  Evt3Scan scan;
  {
    py::gil_scoped_release release;
    scan = evt3_scan(bytes, n);
  }
  if (scan.first_unknown >= 0) {
    throw py::value_error(evt3_unknown_message(bytes, scan));
  }
  Evt3State state;
  std::memcpy(&state, state_in.data(), sizeof(state));
  py::array_t<EventCD> events(static_cast<py::ssize_t>(scan.max_events));
  EventCD * out = events.mutable_data();
  std::vector<Evt3Trigger> triggers;
  int64_t n_events = 0;
  {
    py::gil_scoped_release release;
    n_events = evt3_decode(bytes, n, width, height, state, out, triggers);
  }
  std::vector<int64_t> flat;
  flat.reserve(3 * triggers.size());
  for (const Evt3Trigger & tr : triggers) {
    flat.insert(flat.end(), {tr.p, tr.t, tr.id});
  }
  py::array_t<int64_t> state_out(kEvt3StateSize);
  std::memcpy(state_out.mutable_data(), &state, sizeof(state));
  py::object result = events;
  if (n_events < scan.max_events) {
    result = events[py::slice(0, static_cast<py::ssize_t>(n_events), 1)];
  }
  return py::make_tuple(
    result, to_numpy(std::move(flat), {static_cast<py::ssize_t>(triggers.size()), 3}),
    state_out);
}

}  // namespace
}  // namespace asynet


// The kernels keep per-thread scratch but update caller-owned arrays: keep the GIL contract.
PYBIND11_MODULE(_ext, m, py::mod_gil_used())
{
  PYBIND11_NUMPY_DTYPE(asynet::EventCD, x, y, p, t);
  m.doc() = R"pbdoc(
    Compiled layer updates of the asynchronous engine (private: use asynet_core.ops).

    Maps are C-contiguous float32 or float64 arrays [S + 1, C] whose last row is a zero,
    inactive sentinel; activity arrays are bool [S + 1]; tables are int64 [S + 1, 9].
  )pbdoc";
  py::class_<asynet::ConvKernel>(m, "ConvKernel", R"pbdoc(
    A 3x3 conv + eval BatchNorm + ReLU layer, prepared once.

    :param inputs: input site of each output site and tap [S_out + 1, 9] (int64), copied.
    :param outputs: output site of each input site and tap [S_in + 1, 9] (int64), copied.
    :param taps: weights [9, C_in, C_out] (float32 or float64: the layer's dtype), copied.
    :param scale: folded BatchNorm scale [C_out], copied.
    :param shift: folded BatchNorm shift [C_out], copied.
    :param submanifold: stride 1 sharing the input's activity, else stride 2.
  )pbdoc")
  .def(
    py::init<const py::object &, const py::object &, const py::object &, const py::object &,
    const py::object &, bool>(),
    py::arg("inputs"), py::arg("outputs"), py::arg("taps"), py::arg("scale"), py::arg("shift"),
    py::arg("submanifold"))
  .def(
    "update", &asynet::ConvKernel::update, py::arg("y"), py::arg("z"), py::arg("out_active"),
    py::arg("x"), py::arg("in_active"), py::arg("sites"), py::arg("delta"), py::arg("born"),
    py::arg("died"), R"pbdoc(
    Update the layer after its input changed.

    :param y: raw outputs [S_out + 1, C_out], updated in place.
    :param z: post-activation outputs [S_out + 1, C_out], updated in place.
    :param out_active: output activity [S_out + 1] (bool), updated for stride-2 layers.
    :param x: current input map [S_in + 1, C_in].
    :param in_active: current input activity [S_in + 1] (bool).
    :param sites: input sites whose value changed [n] (int64).
    :param delta: their new minus old values [n, C_in].
    :param born: input sites that switched on [b] (int64).
    :param died: input sites that switched off [d] (int64).
    :rtype: tuple (sites [m], delta [m, C_out], born, died, rules, delta_rules, touched)
  )pbdoc");
  py::class_<asynet::PoolKernel>(m, "PoolKernel", R"pbdoc(
    A 3x3 stride-2 max-pool of a post-ReLU map, prepared once.

    :param inputs: input site of each output site and tap [S_out + 1, 9] (int64), copied.
    :param outputs: output site of each input site and tap [S_in + 1, 9] (int64), copied.
  )pbdoc")
  .def(py::init<const py::object &, const py::object &>(), py::arg("inputs"), py::arg("outputs"))
  .def(
    "update", &asynet::PoolKernel::update, py::arg("z"), py::arg("out_active"), py::arg("x"),
    py::arg("in_active"), py::arg("sites"), py::arg("born"), py::arg("died"), R"pbdoc(
    Update the pooled map after its input changed.

    :param z: pooled map [S_out + 1, C], updated in place.
    :param out_active: pooled activity [S_out + 1] (bool), updated in place.
    :param x: current input map [S_in + 1, C] (>= 0, 0 where inactive).
    :param in_active: current input activity [S_in + 1] (bool).
    :param sites: input sites whose value changed [n] (int64).
    :param born: input sites that switched on [b] (int64).
    :param died: input sites that switched off [d] (int64).
    :rtype: tuple (sites [m], delta [m, C], born, died, 0, 0, touched)
  )pbdoc");
  py::class_<asynet::TrunkRunner>(m, "TrunkRunner", R"pbdoc(
    One input change through a whole trunk of prepared layers in a single call.

    :param kernels: ConvKernel / PoolKernel objects, input side first.
    :param arrays: per layer, its state arrays in update() order (conv: y, z, out_active, x,
        in_active; pool: z, out_active, x, in_active); layer i + 1 reads layer i's z and
        out_active. The arrays are checked once here and kept alive.
  )pbdoc")
  .def(py::init<const py::list &, const py::list &>(), py::arg("kernels"), py::arg("arrays"))
  .def(
    "update", &asynet::TrunkRunner::update, py::arg("sites"), py::arg("delta"), py::arg("born"),
    py::arg("died"), R"pbdoc(
    Apply a change of the first layer's input map (already written into that map).

    :param sites: input sites whose value changed [n] (int64).
    :param delta: their new minus old values [n, C_in].
    :param born: input sites that switched on [b] (int64).
    :param died: input sites that switched off [d] (int64).
    :rtype: tuple (sites, delta, born, died of the last map, [(rules, delta_rules, touched)])
  )pbdoc")
  .def(
    "update_input", &asynet::TrunkRunner::update_input, py::arg("sites"), py::arg("values"),
    py::arg("active"), R"pbdoc(
    Write new input vectors into the first layer's input map, then run every layer.

    :param sites: flat input sites [n] (int64, unique).
    :param values: their new input vectors [n, C_in] (ignored where not active: stored as 0).
    :param active: their new activity [n] (bool).
    :rtype: tuple (sites, delta, born, died of the last map, [(rules, delta_rules, touched)])
  )pbdoc");
  m.def(
    "histogram_update", &asynet::histogram_update_py, py::arg("counts"), py::arg("map"),
    py::arg("added"), py::arg("added_p"), py::arg("removed"), py::arg("removed_p"), R"pbdoc(
    Slide an event histogram: add and remove events, report exactly the changed cells.

    :param counts: events per cell [S] (int64), updated in place.
    :param map: OFF and ON counts per cell [S, 2] (float32), updated in place.
    :param added: flat cells of the events entering the window [a] (int64).
    :param added_p: their polarities [a] (int16, 0 or 1).
    :param removed: flat cells of the events leaving the window [r] (int64).
    :param removed_p: their polarities [r] (int16, 0 or 1).
    :rtype: tuple (cells [m] row-major, values [m, 2] float32, active [m] bool)
  )pbdoc");
  m.def(
    "event_queue_update", &asynet::event_queue_update_py, py::arg("counts"), py::arg("map"),
    py::arg("queue_t"), py::arg("queue_p"), py::arg("added"), py::arg("added_t"),
    py::arg("added_p"), py::arg("removed"), R"pbdoc(
    Slide an event queue (k newest events per cell): report exactly the changed cells.

    :param counts: events per cell [S] (int64), updated in place.
    :param map: normalised ages then polarities per cell [S, 2k] (float32), updated in place.
    :param queue_t: per cell the k newest timestamps in µs, newest first [S, k] (int64), updated.
    :param queue_p: their polarities [S, k] (int16), updated.
    :param added: flat cells of the events entering the window, in time order [a] (int64).
    :param added_t: their timestamps in µs [a] (int64).
    :param added_p: their polarities [a] (int16, 0 or 1).
    :param removed: flat cells of the events leaving the window, oldest first [r] (int64).
    :rtype: tuple (cells [m] row-major, values [m, 2k] float32, active [m] bool)
  )pbdoc");
  m.def(
    "linear_update", &asynet::linear_update_py, py::arg("acc"), py::arg("sites"),
    py::arg("delta"), py::arg("w_site"), R"pbdoc(
    acc += sum over changed head sites j and channels c of delta[j, c] * w_site[sites[j], c, :].

    :param acc: linear output [F], float64 whatever the weights' dtype, updated in place.
    :param sites: changed head-map sites [n] (int64).
    :param delta: their differences [n, C].
    :param w_site: weights per head site and channel [S, C, F].
    :rtype: None
  )pbdoc");
  m.def(
    "evt3_decode", &asynet::evt3_decode_py, py::arg("words"), py::arg("width"),
    py::arg("height"), py::arg("state"), R"pbdoc(
    Decode one packet of Prophesee EVT 3.0 words, continuing the stream described by state.

    The word types are checked before anything is decoded: an unknown type raises ValueError
    naming the first such word, and no state changes. Events outside the sensor are dropped and
    counted, as are events before the first TIME_HIGH + TIME_LOW (or before a row or vector base
    is known).

    :param words: the packet's words [n] (uint16, little-endian, C-contiguous).
    :param width: sensor width; events with x >= width are dropped.
    :param height: sensor height; events with y >= height are dropped.
    :param state: decoder state [12] (int64, asynet_core.ops_ref.EVT3_STATE_FIELDS); not modified.
    :rtype: tuple (events [m] EVENT_DTYPE with t in µs, triggers [k, 3] int64 (p, t, id),
        new state [12] int64)
  )pbdoc");
}
