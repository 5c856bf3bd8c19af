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

// Argument checks and conversions shared by the Python-facing classes (header-only, pybind11).
//
// Every argument is checked before any state is modified: it must be a numpy array of the exact
// dtype, C-contiguous, of the expected shape, writable where it is updated, and every site index
// must lie inside its map. Problems raise TypeError or ValueError naming the function, the
// argument and what was found.

#ifndef ASYNET_CORE_CPP__CHECKS_H_
#define ASYNET_CORE_CPP__CHECKS_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "asynet_core_cpp/kernels.h"

namespace asynet
{

namespace py = pybind11;

using Shape = std::vector<int64_t>;  // -1: any extent

inline std::string shape_str(const py::array & a)
{
  std::string s = "(";
  for (py::ssize_t d = 0; d < a.ndim(); ++d) {
    s += std::to_string(a.shape(d)) + (a.ndim() == 1 || d + 1 < a.ndim() ? "," : "");
    s += d + 1 < a.ndim() ? " " : "";
  }
  return s + ")";
}

inline std::string shape_str(const Shape & shape)
{
  std::string s = "(";
  for (size_t d = 0; d < shape.size(); ++d) {
    s += shape[d] < 0 ? "?" : std::to_string(shape[d]);
    s += shape.size() == 1 || d + 1 < shape.size() ? "," : "";
    s += d + 1 < shape.size() ? " " : "";
  }
  return s + ")";
}

// (kind, itemsize) of a numpy dtype name ("float32", "float64", "int64", "int16", "bool").
inline std::pair<char, py::ssize_t> dtype_code(const std::string & name)
{
  if (name == "float32") {
    return {'f', 4};
  }
  if (name == "float64") {
    return {'f', 8};
  }
  if (name == "int64") {
    return {'i', 8};
  }
  if (name == "int16") {
    return {'i', 2};
  }
  if (name == "bool") {
    return {'b', 1};
  }
  throw std::logic_error("dtype_code: unsupported dtype " + name);
}

// Same kind and size in native byte order (so int64 and longlong both match "int64", and a
// byte-swapped ">f8" does not match "float64").
inline bool dtype_is(const py::dtype & dt, const std::string & name)
{
  const auto [kind, size] = dtype_code(name);
  const uint16_t probe = 1;
  const bool little = *reinterpret_cast<const uint8_t *>(&probe) == 1;
  const char order = dt.byteorder();
  const bool native = order == '=' || order == '|' || order == (little ? '<' : '>');
  return dt.kind() == kind && dt.itemsize() == size && native;
}

// Checks one argument; the dtype is a numpy dtype name ("float32", "int64", "bool", ...).
struct Arg
{
  const char * fn;

  py::array operator()(
    const py::object & obj, const char * name, const std::string & dtype, const Shape & shape,
    bool writable = false) const
  {
    const std::string where = std::string(fn) + ": " + name;
    if (!py::isinstance<py::array>(obj)) {
      throw py::type_error(
              where + " must be a numpy array, got " +
              std::string(py::str(py::type::of(obj).attr("__name__"))));
    }
    py::array a = py::reinterpret_borrow<py::array>(obj);
    if (!dtype_is(a.dtype(), dtype)) {  // no str(dtype) here: it is slow Python code
      throw py::type_error(
              where + " must have dtype " + dtype + ", got " + std::string(py::str(a.dtype())));
    }
    bool ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
    for (size_t d = 0; ok && d < shape.size(); ++d) {
      ok = shape[d] < 0 || a.shape(static_cast<py::ssize_t>(d)) == shape[d];
    }
    if (!ok) {
      throw py::value_error(
              where + " must have shape " + shape_str(shape) + ", got " + shape_str(a));
    }
    if (!(a.flags() & py::array::c_style)) {
      throw py::value_error(where + " must be C-contiguous");
    }
    if (writable && !a.writeable()) {
      throw py::value_error(where + " must be writable");
    }
    return a;
  }
};

template<typename T>
inline T * data(py::array & a) {return static_cast<T *>(a.mutable_data());}
template<typename T>
inline const T * cdata(const py::array & a) {return static_cast<const T *>(a.data());}

inline void check_sites(const char * fn, const char * name, const py::array & a, int64_t limit)
{
  const int64_t * s = cdata<int64_t>(a);
  for (py::ssize_t j = 0; j < a.shape(0); ++j) {
    if (s[j] < 0 || s[j] >= limit) {
      throw py::value_error(
              std::string(fn) + ": " + name + "[" + std::to_string(j) + "] = " +
              std::to_string(s[j]) + " is outside [0, " + std::to_string(limit) + ")");
    }
  }
}

inline void check_sentinel(const char * fn, const char * name, const py::array & active)
{
  if (cdata<bool>(active)[active.shape(0) - 1]) {
    throw py::value_error(std::string(fn) + ": " + name + " sentinel (last entry) must be False");
  }
}

template<typename V>
inline py::array to_numpy(std::vector<V> && values, std::vector<py::ssize_t> shape)
{
  if (values.empty()) {
    return py::array_t<V>(shape);
  }
  auto * heap = new std::vector<V>(std::move(values));
  py::capsule owner(heap, [](void * p) {delete static_cast<std::vector<V> *>(p);});
  return py::array_t<V>(shape, heap->data(), owner);
}

template<typename T>
inline py::tuple to_python(LayerResult<T> && r, int64_t channels)
{
  const auto n = static_cast<py::ssize_t>(r.sites.size());
  const auto nb = static_cast<py::ssize_t>(r.born.size());
  const auto nd = static_cast<py::ssize_t>(r.died.size());
  return py::make_tuple(
    to_numpy(std::move(r.sites), {n}), to_numpy(std::move(r.delta), {n, channels}),
    to_numpy(std::move(r.born), {nb}), to_numpy(std::move(r.died), {nd}), r.rules,
    r.delta_rules, r.touched);
}

template<typename T>
inline Change<T> make_change(
  const py::array & sites, const py::array * delta, const py::array & born,
  const py::array & died)
{
  return Change<T>{
    cdata<int64_t>(sites), delta ? cdata<T>(*delta) : nullptr, sites.shape(0),
    cdata<int64_t>(born), born.shape(0), cdata<int64_t>(died), died.shape(0)};
}

inline std::string float_dtype(const char * fn, const char * name, const py::object & obj)
{
  Arg arg{fn};
  if (!py::isinstance<py::array>(obj)) {
    arg(obj, name, "float32", {});  // raises the TypeError naming the argument
  }
  const py::dtype dtype = py::reinterpret_borrow<py::array>(obj).dtype();
  for (const char * candidate : {"float32", "float64"}) {
    if (dtype_is(dtype, candidate)) {
      return candidate;
    }
  }
  throw py::type_error(
          std::string(fn) + ": " + name + " must be float32 or float64, got " +
          std::string(py::str(dtype)));
}

}  // namespace asynet

#endif  // ASYNET_CORE_CPP__CHECKS_H_
