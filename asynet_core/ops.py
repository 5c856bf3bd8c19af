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

"""The one seam between the engine and its hot-path kernels; the only importer of the extension.

Two interchangeable backends implement the same functions: ``cpp`` (the compiled
``asynet_core_cpp._ext``) and ``torch`` (:mod:`asynet_core.ops_ref`, the reference twin). The
backend is chosen once at import: the environment variable ``ASYNET_BACKEND`` (``auto``, ``cpp`` or
``torch``; default ``auto``: the extension when it imports). ``ASYNET_REQUIRE_CPP=1`` turns a
missing extension into an import error, so a broken build cannot hide behind the fallback (CI and
``make test`` set it). Tensors on a non-CPU device always use the torch backend. The evt3 decoder
(:func:`evt3_decode`) works on numpy arrays; its reference twin is numpy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
import contextlib
import os
import sys
from types import ModuleType
from typing import Any

import numpy as np
import torch

from asynet_core import ops_ref
from asynet_core.errors import BackendError, ConfigError, EventFormatError
from asynet_core.events import EVENT_DTYPE
from asynet_core.evt3_ref import evt3_clip_size
from asynet_core.ops_ref import (
    ConvWeights,
    evt3_initial_state,
    EVT3_STATE_FIELDS,
    EVT3_TRIGGER_DTYPE,
    LayerUpdate,
)

__all__ = [
    'BACKENDS',
    'EVT3_STATE_FIELDS',
    'EVT3_TRIGGER_DTYPE',
    'ConvKernel',
    'ConvWeights',
    'LayerUpdate',
    'PoolKernel',
    'TrunkRunner',
    'available_backends',
    'backend',
    'conv_kernel',
    'event_queue_update',
    'evt3_decode',
    'evt3_initial_state',
    'histogram_update',
    'linear_update',
    'pool_kernel',
    'set_backend',
    'trunk_runner',
    'use_backend',
]

BACKENDS = ('cpp', 'torch')
Change = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def _load_extension() -> tuple[ModuleType | None, str]:
    try:
        from asynet_core_cpp import _ext
    except ImportError as err:
        return None, str(err)
    return _ext, ''


_EXT, _EXT_ERROR = _load_extension()
_active = 'torch'


def available_backends() -> list[str]:
    """The backends that can be used here (``cpp`` only when the extension imported)."""
    return [name for name in BACKENDS if name == 'torch' or _EXT is not None]


def backend() -> str:
    """The active backend: ``cpp`` or ``torch``."""
    return _active


def set_backend(name: str) -> None:
    """Use ``name`` (``auto``, ``cpp`` or ``torch``) from now on.

    Raises:
        ConfigError: unknown name.
        BackendError: ``cpp`` requested but the extension is not importable (says why).
    """
    global _active
    if name not in ('auto', *BACKENDS):
        raise ConfigError(f"unknown backend {name!r}; valid choices: ['auto', 'cpp', 'torch']")
    if name == 'cpp' and _EXT is None:
        raise BackendError(f'the cpp backend is not available: {_EXT_ERROR}')
    _active = name if name != 'auto' else ('cpp' if _EXT is not None else 'torch')


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Use a backend inside a ``with`` block, then restore the previous one."""
    previous = _active
    set_backend(name)
    try:
        yield
    finally:
        set_backend(previous)


def _np(t: torch.Tensor) -> Any:
    """Zero-copy numpy view of a CPU tensor (never a silent copy: layouts are checked in C++)."""
    return t.detach().numpy()


def _result(raw: tuple[Any, ...]) -> LayerUpdate:
    sites, delta, born, died, rules, delta_rules, touched = raw
    return LayerUpdate(
        torch.from_numpy(sites),
        torch.from_numpy(delta),
        torch.from_numpy(born),
        torch.from_numpy(died),
        int(rules),
        int(delta_rules),
        int(touched),
    )


def _compiled(t: torch.Tensor) -> ModuleType | None:
    """The extension when it should run on ``t``'s device, else ``None``."""
    return _EXT if _active == 'cpp' and t.device.type == 'cpu' else None


class _CppConvKernel:
    """``asynet_core_cpp._ext.ConvKernel`` behind the torch-tensor interface of the reference."""

    def __init__(self, kernel: Any) -> None:
        self._kernel = kernel

    def update(
        self,
        y: torch.Tensor,
        z: torch.Tensor,
        out_active: torch.Tensor,
        x: torch.Tensor,
        in_active: torch.Tensor,
        change: Change,
        count: bool = False,
    ) -> LayerUpdate:
        """See :func:`asynet_core.ops_ref.conv_update` (rules are always counted here)."""
        del count
        arrays = [y, z, out_active, x, in_active, *change]
        return _result(self._kernel.update(*map(_np, arrays)))


class _CppPoolKernel:
    """``asynet_core_cpp._ext.PoolKernel`` behind the torch-tensor interface of the reference."""

    def __init__(self, kernel: Any) -> None:
        self._kernel = kernel

    def update(
        self,
        z: torch.Tensor,
        out_active: torch.Tensor,
        x: torch.Tensor,
        in_active: torch.Tensor,
        change: Change,
        count: bool = False,
    ) -> LayerUpdate:
        """See :func:`asynet_core.ops_ref.pool_update`."""
        del count
        sites, _, born, died = change
        arrays = [z, out_active, x, in_active, sites, born, died]
        return _result(self._kernel.update(*map(_np, arrays)))


class _CppTrunkRunner:
    """``asynet_core_cpp._ext.TrunkRunner`` behind the interface of the reference runner."""

    def __init__(self, runner: Any) -> None:
        self._runner = runner

    def update(self, change: Change, count: bool = False) -> tuple[LayerUpdate, list[Work]]:
        """See :class:`asynet_core.ops_ref.TrunkRunner` (work is always counted here)."""
        del count
        sites, delta, born, died, work = self._runner.update(*map(_np, change))
        last = _result((sites, delta, born, died, 0, 0, 0))
        return last, [(int(r), int(d), int(t)) for r, d, t in work]

    def update_input(
        self, sites: np.ndarray, values: np.ndarray, active: np.ndarray, count: bool = False
    ) -> tuple[LayerUpdate, list[Work]]:
        """See :meth:`asynet_core.ops_ref.TrunkRunner.update_input`."""
        del count
        sites_out, delta, born, died, work = self._runner.update_input(sites, values, active)
        last = _result((sites_out, delta, born, died, 0, 0, 0))
        return last, work  # already a list of int triples (no per-layer conversion per update)


ConvKernel = ops_ref.ConvKernel | _CppConvKernel
PoolKernel = ops_ref.PoolKernel | _CppPoolKernel
TrunkRunner = ops_ref.TrunkRunner | _CppTrunkRunner
Work = ops_ref.Work


def conv_kernel(
    weights: ConvWeights, inputs: torch.Tensor, outputs: torch.Tensor, submanifold: bool
) -> ConvKernel:
    """A conv + BN + ReLU layer prepared for the active backend (tables validated once)."""
    ext = _compiled(weights.taps)
    if ext is None:
        return ops_ref.ConvKernel(weights, inputs, outputs, submanifold)
    params = [inputs, outputs, weights.taps, weights.scale, weights.shift]
    return _CppConvKernel(ext.ConvKernel(*map(_np, params), submanifold))


def pool_kernel(inputs: torch.Tensor, outputs: torch.Tensor) -> PoolKernel:
    """A max-pool layer prepared for the active backend."""
    ext = _compiled(inputs)
    if ext is None:
        return ops_ref.PoolKernel(inputs, outputs)
    return _CppPoolKernel(ext.PoolKernel(_np(inputs), _np(outputs)))


def trunk_runner(
    kernels: Sequence[ConvKernel | PoolKernel], arrays: Sequence[tuple[torch.Tensor, ...]]
) -> TrunkRunner:
    """Run a whole trunk per call: compiled when every kernel is, else the reference loop."""
    compiled = [k._kernel for k in kernels if isinstance(k, _CppConvKernel | _CppPoolKernel)]
    if _EXT is None or len(compiled) != len(kernels):
        return ops_ref.TrunkRunner(kernels, arrays)  # type: ignore[arg-type]
    state = [tuple(_np(t) for t in layer) for layer in arrays]
    return _CppTrunkRunner(_EXT.TrunkRunner(compiled, state))


def linear_update(
    acc: torch.Tensor, sites: torch.Tensor, delta: torch.Tensor, w_site: torch.Tensor
) -> None:
    """Incremental linear layer (see :func:`asynet_core.ops_ref.linear_update`)."""
    ext = _compiled(acc)
    if ext is None:
        ops_ref.linear_update(acc, sites, delta, w_site)
        return
    ext.linear_update(_np(acc), _np(sites), _np(delta), _np(w_site))


def histogram_update(
    counts: np.ndarray,
    hist: np.ndarray,
    added: np.ndarray,
    added_p: np.ndarray,
    removed: np.ndarray,
    removed_p: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slide an event histogram (see :func:`asynet_core.ops_ref.histogram_update`)."""
    if _active == 'cpp' and _EXT is not None:
        cells, values, active = _EXT.histogram_update(
            counts, hist, added, added_p, removed, removed_p
        )
        return cells, values, active
    return ops_ref.histogram_update(counts, hist, added, added_p, removed, removed_p)


def event_queue_update(
    counts: np.ndarray,
    qmap: np.ndarray,
    queue_t: np.ndarray,
    queue_p: np.ndarray,
    added: np.ndarray,
    added_t: np.ndarray,
    added_p: np.ndarray,
    removed: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slide an event queue (see :func:`asynet_core.ops_ref.event_queue_update`)."""
    args = (counts, qmap, queue_t, queue_p, added, added_t, added_p, removed)
    if _active == 'cpp' and _EXT is not None:
        cells, values, active = _EXT.event_queue_update(*args)
        return cells, values, active
    return ops_ref.event_queue_update(*args)


def evt3_decode(
    words: np.ndarray, width: int, height: int, state: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode one packet of evt3 words (see :func:`asynet_core.ops_ref.evt3_decode`).

    Returns:
        (events of :data:`~asynet_core.events.EVENT_DTYPE`, triggers of
        :data:`EVT3_TRIGGER_DTYPE`, the new state); ``state`` itself is not modified.

    Raises:
        EventFormatError: a word has an unknown type (no state changes).
        ShapeError: ``words`` or ``state`` has the wrong dtype or shape.
    """
    ops_ref.check_evt3_args(words, state)
    native = words.dtype == np.dtype('<u2') and sys.byteorder == 'little'
    if _active != 'cpp' or _EXT is None or not native:
        return ops_ref.evt3_decode(words, width, height, state)
    width, height = evt3_clip_size(width, height)  # no uint16 wrap, no int64 overflow
    try:
        events, raw, new_state = _EXT.evt3_decode(
            np.ascontiguousarray(words), width, height, np.ascontiguousarray(state)
        )
    except ValueError as err:  # the only ValueError left after the checks: an unknown word
        raise EventFormatError(str(err)) from err
    triggers = np.empty(len(raw), dtype=EVT3_TRIGGER_DTYPE)
    triggers['p'], triggers['t'], triggers['id'] = raw[:, 0], raw[:, 1], raw[:, 2]
    return events.view(EVENT_DTYPE), triggers, new_state


def _initial_backend() -> None:
    if os.environ.get('ASYNET_REQUIRE_CPP') == '1' and _EXT is None:
        raise BackendError(f'ASYNET_REQUIRE_CPP=1 but the extension did not import: {_EXT_ERROR}')
    set_backend(os.environ.get('ASYNET_BACKEND', 'auto'))


_initial_backend()
