# Copyright 2026 asynet_ros contributors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""The node's parameters as rclpy declares them: typed descriptors built from :mod:`params`.

``ros2 param describe`` shows each parameter's type, description, range (``integer_range`` /
``floating_point_range``) and constraints in words, and whether a change applies at once or at
the next ``configure``. The table's check runs before rclpy's own validation, so a refused
change names the rule it broke (``queue_size must be >= 1, got 0``); an int given for a float
parameter is taken as the float.

A value given at startup (a params file, ``-p``, a launch override) is declared as given even when
the table refuses it, so the node comes up and ``configure`` refuses it with the reason: such a
parameter is declared without its range (and, for a wrong type, with dynamic typing), since
rclpy would otherwise raise before the node exists.
"""

from __future__ import annotations

import sys

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    ParameterType,
)
from rclpy.node import Node
from rclpy.parameter import Parameter

from asynet_ros import params

__all__ = ['checked', 'declare_all', 'descriptor', 'locked']

_TYPES = {
    bool: ParameterType.PARAMETER_BOOL,
    int: ParameterType.PARAMETER_INTEGER,
    float: ParameterType.PARAMETER_DOUBLE,
    str: ParameterType.PARAMETER_STRING,
}


_WHEN = {
    'once': 'applied at once',
    'activate': 'applied at activate; read-only while active',
    'configure': 'applied at configure; read-only from configure to cleanup',
}


def locked(name: str, *, configured: bool, active: bool) -> str | None:
    """Why ``name`` cannot change in this lifecycle state, or ``None`` when it can.

    A change that only a transition applies is refused while that transition's effect holds,
    rather than accepted and silently not applied.
    """
    when = params.applied_at(name)
    if when == 'configure' and configured:
        return (
            f'{name} is applied at configure: read-only until cleanup (deactivate and clean up '
            'the node, set it, then configure)'
        )
    if when == 'activate' and active:
        return f'{name} is applied at activate: read-only until deactivate'
    return None


def descriptor(spec: params.ParamSpec, *, ranged: bool = True) -> ParameterDescriptor:
    """The typed descriptor of one table entry (``ranged=False``: without its range)."""
    d = ParameterDescriptor(
        name=spec.name, type=_TYPES[type(spec.default)], description=spec.description
    )
    words = [spec.constraints] if spec.constraints else []
    words.append(_WHEN[params.applied_at(spec.name)])
    d.additional_constraints = '; '.join(words)
    if ranged and spec.low is not None:
        if isinstance(spec.default, float):
            high = float(spec.high) if spec.high is not None else sys.float_info.max
            d.floating_point_range = [
                FloatingPointRange(from_value=float(spec.low), to_value=high)
            ]
        else:
            high_i = int(spec.high) if spec.high is not None else 2**63 - 1
            d.integer_range = [IntegerRange(from_value=int(spec.low), to_value=high_i, step=0)]
    return d


def declare_all(node: Node, overrides: dict[str, Parameter]) -> list[str]:
    """Declare every parameter of the table on ``node``; the reasons of refused startup values.

    ``overrides`` is the node's startup values by name (rclpy's ``_parameter_overrides``): an int
    for a float parameter is replaced by the float there before declaring.
    """
    refused = []
    for spec in params.PARAMETERS:
        given = overrides.get(spec.name)
        d = descriptor(spec)
        if given is not None:
            value = params.coerce(spec.name, given.value)
            overrides[spec.name] = Parameter(spec.name, value=value)
            reason = params.check(spec.name, value)
            if reason is not None:
                refused.append(reason)
                d = descriptor(spec, ranged=False)
                d.dynamic_typing = type(value) is not type(spec.default)
        node.declare_parameter(spec.name, spec.default, d)
    return refused


def checked(parameters: list[Parameter]) -> tuple[list[Parameter], str | None]:
    """Our parameters coerced (int for float) and checked by the table; the first refusal."""
    out = []
    for p in parameters:
        if params.spec(p.name) is None:  # not ours: use_sim_time, ...
            out.append(p)
            continue
        value = params.coerce(p.name, p.value)
        reason = params.check(p.name, value)
        if reason is not None:
            return out, reason
        out.append(Parameter(p.name, value=value))
    return out, None
