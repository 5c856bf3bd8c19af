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

// Python-facing layer objects: a layer prepared once (validated private tables, weights kept
// alive), and a runner that pushes one input change through a whole trunk in a single call.

#ifndef ASYNET_CORE_CPP__PY_LAYERS_H_
#define ASYNET_CORE_CPP__PY_LAYERS_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "asynet_core_cpp/kernels.h"

namespace asynet
{

namespace py = pybind11;

// Validated private copies of a layer's neighbour tables: every entry is a site or the sentinel.
struct Tables
{
  std::vector<int64_t> inputs;  // [S_out + 1, 9]
  std::vector<int64_t> outputs;  // [S_in + 1, 9]
  int64_t s_in = 0;
  int64_t s_out = 0;
};

// The state arrays of one layer, checked against the layer: out_active/z (and y for a conv) are
// the layer's own maps, x/in_active the map it reads.
struct LayerArrays
{
  py::array y;  // conv only
  py::array z;
  py::array out_active;
  py::array x;
  py::array in_active;
};

// A conv layer's weights, owned: later changes to the arrays they came from cannot reach them.
template<typename T>
struct ConvWeights
{
  std::vector<T> taps;  // [9, C_in, C_out]
  AlignedVector<T> packed;  // pack_taps(taps)
  std::vector<T> scale;  // [C_out]
  std::vector<T> shift;  // [C_out]
};

class ConvKernel
{
public:
  ConvKernel(
    const py::object & inputs, const py::object & outputs, const py::object & taps,
    const py::object & scale, const py::object & shift, bool submanifold);

  py::tuple update(
    const py::object & y, const py::object & z, const py::object & out_active,
    const py::object & x, const py::object & in_active, const py::object & sites,
    const py::object & delta, const py::object & born, const py::object & died) const;

  LayerArrays check_arrays(const char * fn, const py::tuple & arrays) const;
  template<typename T>
  ConvLayer<T> bind(LayerArrays & a) const;

  const std::string & dtype() const {return dtype_;}
  int64_t s_in() const {return tables_.s_in;}
  int64_t c_in() const {return c_in_;}
  int64_t c_out() const {return c_out_;}

private:
  Tables tables_;
  bool submanifold_;
  std::string dtype_;
  int64_t c_in_ = 0;
  int64_t c_out_ = 0;
  ConvWeights<float> w32_;  // filled for a float32 layer
  ConvWeights<double> w64_;  // filled for a float64 layer

  template<typename T>
  const ConvWeights<T> & weights() const
  {
    if constexpr (std::is_same_v<T, float>) {
      return w32_;
    } else {
      return w64_;
    }
  }
};

class PoolKernel
{
public:
  PoolKernel(const py::object & inputs, const py::object & outputs);

  py::tuple update(
    const py::object & z, const py::object & out_active, const py::object & x,
    const py::object & in_active, const py::object & sites, const py::object & born,
    const py::object & died) const;

  LayerArrays check_arrays(const char * fn, const py::tuple & arrays, const std::string & dt) const;
  template<typename T>
  PoolLayer<T> bind(LayerArrays & a) const;

  int64_t s_in() const {return tables_.s_in;}

private:
  Tables tables_;
};

// One input change through every layer of a trunk, without returning to Python in between.
class TrunkRunner
{
public:
  // kernels[i]: ConvKernel or PoolKernel; arrays[i]: that layer's state arrays, in update() order
  // (conv: y, z, out_active, x, in_active; pool: z, out_active, x, in_active). Layer i + 1 must
  // read layer i's output map (the same arrays).
  TrunkRunner(const py::list & kernels, const py::list & arrays);

  // (sites, delta, born, died) of the last map, and (rules, delta_rules, touched) per layer, for
  // a change already written into the first layer's input map.
  py::tuple update(
    const py::object & sites, const py::object & delta, const py::object & born,
    const py::object & died);

  // The same for new input vectors: writes values (0 where not active) and activity of the given
  // flat sites into the input map, derives the change, and runs every layer.
  py::tuple update_input(
    const py::object & sites, const py::object & values, const py::object & active);

private:
  template<typename T>
  py::tuple run(LayerResult<T> change);

  template<typename T>
  static LayerResult<T> write_input(
    LayerArrays & input, const int64_t * flat, const T * values, const bool * active, int64_t n,
    int64_t c);

  struct Step
  {
    const ConvKernel * conv = nullptr;
    const PoolKernel * pool = nullptr;
    LayerArrays arrays;
  };
  std::vector<py::object> kernels_;  // keeps every kernel alive whatever happens to the list
  std::vector<Step> steps_;
  std::string dtype_;
};

}  // namespace asynet

#endif  // ASYNET_CORE_CPP__PY_LAYERS_H_
