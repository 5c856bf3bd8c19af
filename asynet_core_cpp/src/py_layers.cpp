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

// Prepared layers and the trunk runner (see py_layers.h). All checks happen with the GIL held,
// before any state is touched; the kernels then run with the GIL released.

#include "asynet_core_cpp/py_layers.h"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "asynet_core_cpp/checks.h"
#include "asynet_core_cpp/marker.h"

namespace asynet
{
namespace
{

std::vector<int64_t> copy_table(
  const char * fn, const char * name, const py::array & a, int64_t limit)
{
  const int64_t * v = cdata<int64_t>(a);
  const auto size = static_cast<size_t>(a.size());
  for (size_t j = 0; j < size; ++j) {
    if (v[j] < 0 || v[j] > limit) {
      throw py::value_error(
              std::string(fn) + ": " + name + "[" + std::to_string(j / kTaps) + ", " +
              std::to_string(j % kTaps) + "] = " + std::to_string(v[j]) + " is outside [0, " +
              std::to_string(limit) + "]");
    }
  }
  return std::vector<int64_t>(v, v + size);
}

Tables make_tables(const char * fn, const py::object & inputs_o, const py::object & outputs_o)
{
  const Arg arg{fn};
  py::array inputs = arg(inputs_o, "inputs", "int64", {-1, kTaps});
  py::array outputs = arg(outputs_o, "outputs", "int64", {-1, kTaps});
  const int64_t s_out = inputs.shape(0) - 1;
  const int64_t s_in = outputs.shape(0) - 1;
  if (s_in < 0 || s_out < 0) {
    throw py::value_error(std::string(fn) + ": tables need at least the sentinel row");
  }
  Tables t;
  t.inputs = copy_table(fn, "inputs", inputs, s_in);
  t.outputs = copy_table(fn, "outputs", outputs, s_out);
  t.s_in = s_in;
  t.s_out = s_out;
  return t;
}

template<typename T>
ConvWeights<T> make_weights(
  const py::array & taps, const py::array & scale, const py::array & shift, int64_t c_in,
  int64_t c_out)
{
  ConvWeights<T> w;
  w.taps.assign(cdata<T>(taps), cdata<T>(taps) + taps.size());
  w.packed = pack_taps<T>(w.taps.data(), c_in, c_out);
  w.scale.assign(cdata<T>(scale), cdata<T>(scale) + c_out);
  w.shift.assign(cdata<T>(shift), cdata<T>(shift) + c_out);
  return w;
}

struct ChangeArrays
{
  py::array sites;
  py::array delta;
  py::array born;
  py::array died;
};

ChangeArrays check_change(
  const char * fn, const py::object & sites_o, const py::object * delta_o,
  const py::object & born_o, const py::object & died_o, const std::string & dt, int64_t c_in,
  int64_t s_in)
{
  const Arg arg{fn};
  ChangeArrays c;
  c.sites = arg(sites_o, "sites", "int64", {-1});
  if (delta_o != nullptr) {
    c.delta = arg(*delta_o, "delta", dt, {c.sites.shape(0), c_in});
  }
  c.born = arg(born_o, "born", "int64", {-1});
  c.died = arg(died_o, "died", "int64", {-1});
  for (auto [a, name] : {std::pair{&c.sites, "sites"}, {&c.born, "born"}, {&c.died, "died"}}) {
    check_sites(fn, name, *a, s_in);
  }
  return c;
}

}  // namespace

ConvKernel::ConvKernel(
  const py::object & inputs, const py::object & outputs, const py::object & taps,
  const py::object & scale, const py::object & shift, bool submanifold)
: tables_(make_tables("ConvKernel", inputs, outputs)), submanifold_(submanifold)
{
  const Arg arg{"ConvKernel"};
  dtype_ = float_dtype("ConvKernel", "taps", taps);
  const py::array t = arg(taps, "taps", dtype_, {kTaps, -1, -1});
  c_in_ = t.shape(1);
  c_out_ = t.shape(2);
  const py::array sc = arg(scale, "scale", dtype_, {c_out_});
  const py::array sh = arg(shift, "shift", dtype_, {c_out_});
  if (submanifold && tables_.s_in != tables_.s_out) {
    throw py::value_error("ConvKernel: a submanifold layer needs equal input and output sites");
  }
  if (dtype_ == "float32") {
    w32_ = make_weights<float>(t, sc, sh, c_in_, c_out_);
  } else {
    w64_ = make_weights<double>(t, sc, sh, c_in_, c_out_);
  }
}

LayerArrays ConvKernel::check_arrays(const char * fn, const py::tuple & arrays) const
{
  const Arg arg{fn};
  if (arrays.size() != 5) {
    throw py::value_error(std::string(fn) + ": a conv layer needs 5 state arrays (y, z, "
            "out_active, x, in_active), got " + std::to_string(arrays.size()));
  }
  const int64_t so = tables_.s_out + 1;
  const int64_t si = tables_.s_in + 1;
  LayerArrays a;
  a.y = arg(arrays[0], "y", "float64", {so, c_out_}, true);  // the accumulator, any dtype_
  a.z = arg(arrays[1], "z", dtype_, {so, c_out_}, true);
  a.out_active = arg(arrays[2], "out_active", "bool", {so}, true);
  a.x = arg(arrays[3], "x", dtype_, {si, c_in_});
  a.in_active = arg(arrays[4], "in_active", "bool", {si});
  check_sentinel(fn, "in_active", a.in_active);
  check_sentinel(fn, "out_active", a.out_active);
  return a;
}

template<typename T>
ConvLayer<T> ConvKernel::bind(LayerArrays & a) const
{
  const ConvWeights<T> & w = weights<T>();
  return ConvLayer<T>{
    {data<double>(a.y), tables_.s_out + 1, c_out_}, {data<T>(a.z), tables_.s_out + 1, c_out_},
    data<uint8_t>(a.out_active), {cdata<T>(a.x), tables_.s_in + 1, c_in_},
    cdata<uint8_t>(a.in_active), tables_.inputs.data(), tables_.outputs.data(),
    w.taps.data(), w.packed.data(), static_cast<int64_t>(w.packed.size()), w.scale.data(),
    w.shift.data(), submanifold_};
}

py::tuple ConvKernel::update(
  const py::object & y, const py::object & z, const py::object & out_active,
  const py::object & x, const py::object & in_active, const py::object & sites,
  const py::object & delta, const py::object & born, const py::object & died) const
{
  const char * fn = "ConvKernel.update";
  LayerArrays a = check_arrays(fn, py::make_tuple(y, z, out_active, x, in_active));
  ChangeArrays c = check_change(fn, sites, &delta, born, died, dtype_, c_in_, tables_.s_in);
  auto run = [&](auto zero) {
      using T = decltype(zero);
      const ConvLayer<T> layer = bind<T>(a);
      const Change<T> change = make_change<T>(c.sites, &c.delta, c.born, c.died);
      LayerResult<T> result;
      {
        py::gil_scoped_release release;
        result = conv_update<T>(layer, change);
      }
      return to_python(std::move(result), c_out_);
    };
  return dtype_ == "float32" ? run(0.0F) : run(0.0);
}

PoolKernel::PoolKernel(const py::object & inputs, const py::object & outputs)
: tables_(make_tables("PoolKernel", inputs, outputs)) {}

LayerArrays PoolKernel::check_arrays(
  const char * fn, const py::tuple & arrays, const std::string & dt) const
{
  const Arg arg{fn};
  if (arrays.size() != 4) {
    throw py::value_error(std::string(fn) + ": a pool layer needs 4 state arrays (z, "
            "out_active, x, in_active), got " + std::to_string(arrays.size()));
  }
  LayerArrays a;
  a.z = arg(arrays[0], "z", dt, {tables_.s_out + 1, -1}, true);
  a.out_active = arg(arrays[1], "out_active", "bool", {tables_.s_out + 1}, true);
  a.x = arg(arrays[2], "x", dt, {tables_.s_in + 1, a.z.shape(1)});
  a.in_active = arg(arrays[3], "in_active", "bool", {tables_.s_in + 1});
  check_sentinel(fn, "in_active", a.in_active);
  check_sentinel(fn, "out_active", a.out_active);
  return a;
}

template<typename T>
PoolLayer<T> PoolKernel::bind(LayerArrays & a) const
{
  const int64_t c = a.z.shape(1);
  return PoolLayer<T>{
    {data<T>(a.z), tables_.s_out + 1, c}, data<uint8_t>(a.out_active),
    {cdata<T>(a.x), tables_.s_in + 1, c}, cdata<uint8_t>(a.in_active), tables_.inputs.data(),
    tables_.outputs.data()};
}

py::tuple PoolKernel::update(
  const py::object & z, const py::object & out_active, const py::object & x,
  const py::object & in_active, const py::object & sites, const py::object & born,
  const py::object & died) const
{
  const char * fn = "PoolKernel.update";
  const std::string dt = float_dtype(fn, "z", z);
  LayerArrays a = check_arrays(fn, py::make_tuple(z, out_active, x, in_active), dt);
  ChangeArrays c = check_change(fn, sites, nullptr, born, died, dt, 0, tables_.s_in);
  auto run = [&](auto zero) {
      using T = decltype(zero);
      const PoolLayer<T> layer = bind<T>(a);
      const Change<T> change = make_change<T>(c.sites, nullptr, c.born, c.died);
      LayerResult<T> result;
      {
        py::gil_scoped_release release;
        result = pool_update<T>(layer, change);
      }
      return to_python(std::move(result), a.z.shape(1));
    };
  return dt == "float32" ? run(0.0F) : run(0.0);
}

TrunkRunner::TrunkRunner(const py::list & kernels, const py::list & arrays)
{
  const char * fn = "TrunkRunner";
  if (kernels.size() == 0 || kernels.size() != arrays.size()) {
    throw py::value_error(std::string(fn) + ": need one state-array tuple per kernel, got " +
            std::to_string(kernels.size()) + " kernels and " + std::to_string(arrays.size()));
  }
  for (size_t i = 0; i < kernels.size(); ++i) {
    Step step;
    kernels_.push_back(py::reinterpret_borrow<py::object>(kernels[i]));  // keep each one alive
    if (!py::isinstance<py::tuple>(arrays[i])) {
      throw py::type_error(std::string(fn) + ": arrays[" + std::to_string(i) +
              "] must be a tuple of arrays, got " +
              std::string(py::str(py::type::of(arrays[i]).attr("__name__"))));
    }
    const py::tuple state = py::reinterpret_borrow<py::tuple>(arrays[i]);
    if (py::isinstance<ConvKernel>(kernels[i])) {
      step.conv = kernels[i].cast<const ConvKernel *>();
      dtype_ = i == 0 ? step.conv->dtype() : dtype_;
      if (step.conv->dtype() != dtype_) {
        throw py::type_error(std::string(fn) + ": every layer must have dtype " + dtype_);
      }
      step.arrays = step.conv->check_arrays(fn, state);
    } else if (py::isinstance<PoolKernel>(kernels[i])) {
      if (i == 0) {
        throw py::value_error(std::string(fn) + ": the first layer must be a ConvKernel");
      }
      step.pool = kernels[i].cast<const PoolKernel *>();
      step.arrays = step.pool->check_arrays(fn, state, dtype_);
    } else {
      throw py::type_error(std::string(fn) + ": kernels[" + std::to_string(i) +
              "] is not a ConvKernel or PoolKernel");
    }
    if (i > 0 && (step.arrays.x.data() != steps_.back().arrays.z.data() ||
      step.arrays.in_active.data() != steps_.back().arrays.out_active.data()))
    {
      throw py::value_error(std::string(fn) + ": layer " + std::to_string(i) +
              " must read the output map of layer " + std::to_string(i - 1));
    }
    steps_.push_back(std::move(step));
  }
}

py::tuple TrunkRunner::update(
  const py::object & sites, const py::object & delta, const py::object & born,
  const py::object & died)
{
  const ConvKernel & first = *steps_.front().conv;
  ChangeArrays c = check_change(
    "TrunkRunner.update", sites, &delta, born, died, dtype_, first.c_in(), first.s_in());
  auto run_typed = [&](auto zero) {
      using T = decltype(zero);
      LayerResult<T> start;
      start.sites.assign(cdata<int64_t>(c.sites), cdata<int64_t>(c.sites) + c.sites.shape(0));
      start.delta.assign(cdata<T>(c.delta), cdata<T>(c.delta) + c.delta.size());
      start.born.assign(cdata<int64_t>(c.born), cdata<int64_t>(c.born) + c.born.shape(0));
      start.died.assign(cdata<int64_t>(c.died), cdata<int64_t>(c.died) + c.died.shape(0));
      return run<T>(std::move(start));
    };
  return dtype_ == "float32" ? run_typed(0.0F) : run_typed(0.0);
}

py::tuple TrunkRunner::update_input(
  const py::object & sites, const py::object & values, const py::object & active)
{
  const char * fn = "TrunkRunner.update_input";
  const ConvKernel & first = *steps_.front().conv;
  const Arg arg{fn};
  py::array s = arg(sites, "sites", "int64", {-1});
  py::array v = arg(values, "values", dtype_, {s.shape(0), first.c_in()});
  py::array a = arg(active, "active", "bool", {s.shape(0)});
  check_sites(fn, "sites", s, first.s_in());
  LayerArrays & input = steps_.front().arrays;
  if (!input.x.writeable() || !input.in_active.writeable()) {
    throw py::value_error(std::string(fn) + ": the input map and its activity must be writable");
  }
  thread_local Marker seen;
  seen.reset(first.s_in() + 1);
  const int64_t * flat = cdata<int64_t>(s);
  for (py::ssize_t j = 0; j < s.shape(0); ++j) {
    if (!seen.insert(flat[j])) {
      throw py::value_error(std::string(fn) + ": sites must be unique, site " +
              std::to_string(flat[j]) + " appears twice");
    }
  }
  auto run_typed = [&](auto zero) {
      using T = decltype(zero);
      return run<T>(write_input<T>(
        input, flat, cdata<T>(v), cdata<bool>(a), s.shape(0), first.c_in()));
    };
  return dtype_ == "float32" ? run_typed(0.0F) : run_typed(0.0);
}

template<typename T>
LayerResult<T> TrunkRunner::write_input(
  LayerArrays & input, const int64_t * flat, const T * values, const bool * active, int64_t n,
  int64_t c)
{
  LayerResult<T> change;
  T * x = data<T>(input.x);
  uint8_t * on = data<uint8_t>(input.in_active);
  for (int64_t j = 0; j < n; ++j) {
    const int64_t site = flat[j];
    T * row = x + site * c;
    bool moved = false;
    for (int64_t k = 0; k < c; ++k) {
      moved = moved || (active[j] ? values[j * c + k] : T(0)) != row[k];
    }
    if (moved) {
      change.sites.push_back(site);
      for (int64_t k = 0; k < c; ++k) {
        const T fresh = active[j] ? values[j * c + k] : T(0);
        change.delta.push_back(fresh - row[k]);
        row[k] = fresh;
      }
    }
    if (active[j] && on[site] == 0) {
      change.born.push_back(site);
    } else if (!active[j] && on[site] != 0) {
      change.died.push_back(site);
    }
    on[site] = active[j] ? 1 : 0;
  }
  return change;
}

template<typename T>
py::tuple TrunkRunner::run(LayerResult<T> current)
{
  std::vector<ConvLayer<T>> convs;
  std::vector<PoolLayer<T>> pools;
  for (Step & step : steps_) {
    if (step.conv != nullptr) {
      convs.push_back(step.conv->bind<T>(step.arrays));
    } else {
      pools.push_back(step.pool->bind<T>(step.arrays));
    }
  }
  std::vector<std::array<int64_t, 3>> work;
  int64_t channels = 0;
  {
    py::gil_scoped_release release;
    size_t ci = 0;
    size_t pi = 0;
    for (const Step & step : steps_) {
      const Change<T> change{
        current.sites.data(), current.delta.data(), static_cast<int64_t>(current.sites.size()),
        current.born.data(), static_cast<int64_t>(current.born.size()), current.died.data(),
        static_cast<int64_t>(current.died.size())};
      if (step.conv != nullptr) {
        current = conv_update<T>(convs[ci++], change);
        channels = step.conv->c_out();
      } else {
        current = pool_update<T>(pools[pi++], change);
      }
      work.push_back({current.rules, current.delta_rules, current.touched});
    }
  }
  py::list stats;
  for (const auto & w : work) {
    stats.append(py::make_tuple(w[0], w[1], w[2]));
  }
  py::tuple last = to_python(std::move(current), channels);
  return py::make_tuple(last[0], last[1], last[2], last[3], stats);
}

}  // namespace asynet
