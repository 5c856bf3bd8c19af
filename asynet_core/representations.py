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

"""Event representations at model-input size, batch and incremental.

Pure functions compute a representation of an event array (:func:`histogram`, :func:`event_queue`,
:func:`active_mask`); frozen dataclasses (:class:`Histogram`, :class:`EventQueue`) wrap them with a
declared output contract (``get_shape``, ``get_numpy_dtype``, ``get_torch_dtype``) and add an
incremental update for a sliding window: ``rep.update(state, added, removed)`` mutates only the
explicit :class:`RepresentationState` and returns a :class:`SiteUpdate` listing exactly the sites
that changed. After every update ``state.map`` equals ``rep(state.events())`` exactly.

Every function takes events at sensor resolution and maps them to the model input with an
:class:`InputMapping` (rule in its docstring). Nothing here mutates its input arrays.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
import torch

from asynet_core import ops
from asynet_core.errors import ConfigError, EventOrderError, ShapeError
from asynet_core.events import (
    check_event_array,
    check_in_sensor,
    check_polarity,
    check_time_order,
    concatenate_events,
    empty_events,
    SensorSize,
)
from asynet_core.window import EventBuffer

__all__ = [
    'REPRESENTATIONS',
    'EventQueue',
    'EventRepresentation',
    'Histogram',
    'InputMapping',
    'RepresentationState',
    'SiteUpdate',
    'active_mask',
    'event_queue',
    'histogram',
    'make_representation',
]

DEFAULT_QUEUE_LENGTH = 15


@dataclass(frozen=True)
class InputMapping:
    """Maps sensor pixels to model-input cells, per axis, without dropping or duplicating events.

    The rule, applied to rows (sensor height -> input height) and columns (width -> width)
    independently:

    * sensor length <= input length: the coordinate is kept (identity); the sensor occupies the
      top-left of the input and the remaining cells stay empty;
    * sensor length > input length: ``cell = floor(coord * input_len / sensor_len)``; neighbouring
      pixels merge into one cell (at most ``ceil(sensor_len / input_len)`` of them) and their
      counts add. Every cell receives at least one pixel.

    Each event lands in exactly one cell, so no event is dropped and none is counted twice (unlike
    the original's nearest resize, which drops rows when down-sampling and duplicates sites when
    up-sampling).

    Attributes:
        sensor: the sensor size (width, height).
        input_size: the model input (height, width), e.g. (191, 255), (95, 127) or (223, 287).

    Raises:
        ConfigError: ``sensor`` is not a :class:`SensorSize` or ``input_size`` is not two
            positive ints.
    """

    sensor: SensorSize
    input_size: tuple[int, int]

    def __post_init__(self) -> None:
        if not isinstance(self.sensor, SensorSize):
            raise ConfigError(f'sensor must be a SensorSize, got {type(self.sensor).__name__}')
        object.__setattr__(self, 'input_size', _checked_input_size(self.input_size))

    @property
    def height(self) -> int:
        """Rows of the model input."""
        return self.input_size[0]

    @property
    def width(self) -> int:
        """Columns of the model input."""
        return self.input_size[1]

    @property
    def scale(self) -> tuple[float, float]:
        """(x, y) factors from sensor pixels to input cells (the boxes' side of the cell rule).

        ``input / sensor`` on an axis the sensor is longer on, 1 on a kept one.
        """
        return (
            _axis_scale(self.sensor.width, self.width),
            _axis_scale(self.sensor.height, self.height),
        )

    def boxes_to_input(self, boxes: np.ndarray) -> np.ndarray:
        """Boxes from sensor pixels to input cells, float32 (a copy).

        ``boxes`` ``[n, >= 4]``: columns 0 and 2 are x coordinates or widths, 1 and 3 y ones
        (``x, y, w, h`` or ``x_min, y_min, x_max, y_max``); further columns are kept as they are.
        """
        sx, sy = self.scale
        out = np.array(boxes, dtype=np.float32, copy=True)
        out[:, [0, 2]] *= sx
        out[:, [1, 3]] *= sy
        return out

    def boxes_to_sensor(self, boxes: np.ndarray) -> np.ndarray:
        """Corner boxes ``[n, 4]`` from input cells back to sensor pixels, clipped, float32.

        The inverse of :meth:`boxes_to_input` for (x_min, y_min, x_max, y_max) boxes.
        """
        sx, sy = self.scale
        out = np.array(boxes, dtype=np.float32, copy=True)
        out[:, [0, 2]] = np.clip(out[:, [0, 2]] / sx, 0, self.sensor.width)
        out[:, [1, 3]] = np.clip(out[:, [1, 3]] / sy, 0, self.sensor.height)
        return out

    def cells(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Input cell of every event: (rows int64 [N], cols int64 [N]).

        Raises:
            EventFormatError: wrong dtype, shape or polarity.
            EventRangeError: an event lies outside the sensor.
        """
        _check_events(events, self.sensor)
        return _rows(self, events), _cols(self, events)

    def flat_cells(self, events: np.ndarray) -> np.ndarray:
        """Row-major cell index ``row * width + col`` of every event, int64 [N] (validated)."""
        _check_events(events, self.sensor)
        return _flat(self, events)


def _axis_scale(sensor_len: int, input_len: int) -> float:
    """The cell rule's factor on one axis: floor-scaled when the sensor is longer, else kept."""
    return input_len / sensor_len if sensor_len > input_len else 1.0


def _rows(mapping: InputMapping, events: np.ndarray) -> np.ndarray:
    return _map_axis(events['y'], mapping.sensor.height, mapping.height)


def _cols(mapping: InputMapping, events: np.ndarray) -> np.ndarray:
    return _map_axis(events['x'], mapping.sensor.width, mapping.width)


def _flat(mapping: InputMapping, events: np.ndarray) -> np.ndarray:
    """Unchecked row-major cell indices, int64 [N]."""
    flat: np.ndarray = _rows(mapping, events) * mapping.width + _cols(mapping, events)
    return flat


def _is_positive_int(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        return False
    return bool(value >= 1)


def _checked_input_size(size: object) -> tuple[int, int]:
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ConfigError(f'input_size must be (height, width), got {size!r}')
    for name, value in zip(('height', 'width'), size, strict=True):
        if not _is_positive_int(value):
            raise ConfigError(f'input_size {name} must be a positive int, got {value!r}')
    return (int(size[0]), int(size[1]))


def _map_axis(coords: np.ndarray, sensor_len: int, input_len: int) -> np.ndarray:
    cells = coords.astype(np.int64)
    if sensor_len <= input_len:
        return cells
    return cells * input_len // sensor_len


def _check_events(events: np.ndarray, sensor: SensorSize) -> None:
    check_event_array(events)
    check_in_sensor(events, sensor)
    check_polarity(events)


def _check_queue_length(k: object) -> None:
    if not _is_positive_int(k):
        raise ConfigError(f'event queue length k must be a positive int, got {k!r}')


# --- batch kernels ------------------------------------------------------------------------------


def histogram(events: np.ndarray, mapping: InputMapping) -> np.ndarray:
    """Event counts per input cell and polarity: float32 [H, W, 2].

    Channel 0 counts OFF events (``p = 0``), channel 1 counts ON events (``p = 1``). Raw counts:
    no normalisation, clipping or log (exact in float32 up to 2**24 events per cell).
    """
    flat = mapping.flat_cells(events)  # [N]
    counts = np.bincount(flat * 2 + events['p'], minlength=mapping.height * mapping.width * 2)
    return counts.reshape(mapping.height, mapping.width, 2).astype(np.float32)


def active_mask(events: np.ndarray, mapping: InputMapping) -> np.ndarray:
    """Activity per input cell, bool [H, W]: at least one event maps to the cell."""
    counts = np.bincount(mapping.flat_cells(events), minlength=mapping.height * mapping.width)
    return counts.reshape(mapping.height, mapping.width) > 0


def event_queue(
    events: np.ndarray, mapping: InputMapping, k: int = DEFAULT_QUEUE_LENGTH
) -> np.ndarray:
    """The ``k`` newest events of every input cell: float32 [H, W, 2k].

    Newest means largest ``t``; equal times are ordered by array position (later = newer).
    Channel ``j < k`` holds the normalised age of the cell's ``j``-th newest event,
    ``(t_newest - t_j) / max_age``, where ``max_age`` is the largest age among the cell's filled
    slots (1 when it is 0); channel ``k + j`` holds its polarity as -1.0 (OFF) or +1.0 (ON).
    Empty slots are 0 in both planes. The original normalised the ages of empty slots of active
    cells to 1; this implementation does not reproduce that quirk. A cell with events always has
    a nonzero vector, since its newest polarity is +-1.

    Raises:
        ConfigError: ``k`` is not a positive int.
    """
    _check_queue_length(k)
    flat = mapping.flat_cells(events)  # [N]
    out = np.zeros((mapping.height * mapping.width, 2 * k), dtype=np.float32)
    cells, values = _queue_values(flat, events['t'], events['p'], k)
    out[cells] = values  # [M, 2k]
    return out.reshape(mapping.height, mapping.width, 2 * k)


def _queue_values(
    flat: np.ndarray, t: np.ndarray, p: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Queue vectors of the cells holding events: (sorted unique cells [M], float32 [M, 2k])."""
    order = np.lexsort((np.arange(len(flat)), t, flat))  # by cell, then time, then position
    flat, t, p = flat[order], t[order], p[order]
    cells, start, inverse, count = np.unique(
        flat, return_index=True, return_inverse=True, return_counts=True
    )
    rank = start[inverse] + count[inverse] - 1 - np.arange(len(flat))  # 0 = newest of its cell
    keep = rank < k
    group, rank = inverse[keep], rank[keep]
    age = t[(start + count - 1)[group]] - t[keep]  # int64 [kept], >= 0
    max_age = np.zeros(len(cells), dtype=np.int64)
    np.maximum.at(max_age, group, age)
    values = np.zeros((len(cells), 2 * k), dtype=np.float32)
    values[group, rank] = age / np.maximum(max_age, 1)[group]
    values[group, k + rank] = 2 * p[keep] - 1
    return cells, values


# --- incremental updates ------------------------------------------------------------------------


class _Slide(NamedTuple):
    """One update's events and their flat input cells."""

    added: np.ndarray
    removed: np.ndarray
    add_flat: np.ndarray  # int64 [len(added)]
    rem_flat: np.ndarray  # int64 [len(removed)]


@dataclass(frozen=True, eq=False)
class SiteUpdate:
    """The input sites whose value vector or activity changed in one update, row-major order.

    Attributes:
        rows: int64 [N] site rows.
        cols: int64 [N] site columns; the sites are unique, sorted by ``row * W + col``.
        values: float32 [N, C] the new full value vector at each site.
        active: bool [N] the new activity of each site.
    """

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    active: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.rows)
        if not len(self.cols) == len(self.values) == len(self.active) == n:
            raise ShapeError(
                f'SiteUpdate fields must have equal lengths, got rows {n}, cols {len(self.cols)},'
                f' values {len(self.values)}, active {len(self.active)}'
            )

    def __len__(self) -> int:
        """Number of changed sites."""
        return len(self.rows)

    def apply_to(self, dense: np.ndarray) -> None:
        """Write the new values into a dense [H, W, C] map (mutates ``dense``)."""
        dense[self.rows, self.cols] = self.values


@dataclass(eq=False)
class RepresentationState:
    """Mutable per-stream state of an incremental representation (see ``init_state``).

    Attributes:
        map: float32 [H, W, C] the representation of the current window.
        counts: int64 [H, W] events of the current window per input cell.
        window: the current window's events, oldest first.
        queue_t: event queue only: int64 [H * W, k] the k newest timestamps of every cell (µs,
            newest first, 0 where empty).
        queue_p: event queue only: int16 [H * W, k] their polarities.
    """

    map: np.ndarray  # noqa: A003 (the representation map, a public field)
    counts: np.ndarray
    window: EventBuffer
    queue_t: np.ndarray | None = None
    queue_p: np.ndarray | None = None

    @property
    def active(self) -> np.ndarray:
        """Activity per input cell, bool [H, W]: cells holding an event of the window."""
        return self.counts > 0

    def events(self) -> np.ndarray:
        """The current window's events, oldest first (a new array)."""
        return self.window.view().copy()


@dataclass(frozen=True)
class EventRepresentation(ABC):
    """Base of the representation callables: output contract and incremental update.

    Attributes:
        mapping: sensor-to-input mapping; fixes the output height and width.
    """

    name: ClassVar[str]
    mapping: InputMapping

    @property
    @abstractmethod
    def channels(self) -> int:
        """Number of output channels C."""

    @abstractmethod
    def __call__(self, events: np.ndarray) -> np.ndarray:
        """The representation of ``events``: float32 [H, W, C]."""

    @abstractmethod
    def _apply(
        self, state: RepresentationState, slide: _Slide
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Update counts and map for a slide (window already moved).

        Returns the cells whose value or activity changed (sorted), their new float32 values
        ``[M, C]`` and their new activity.
        """

    def _init_extra(self, state: RepresentationState) -> None:  # noqa: B027 (optional hook)
        """Add representation-specific arrays to a new state (none by default)."""

    def get_shape(self) -> tuple[int, int, int]:
        """Output shape (H, W, C)."""
        return (self.mapping.height, self.mapping.width, self.channels)

    def get_numpy_dtype(self) -> np.dtype[np.float32]:
        """Output numpy dtype (float32)."""
        return np.dtype(np.float32)

    def get_torch_dtype(self) -> torch.dtype:
        """Output torch dtype (float32)."""
        return torch.float32

    def init_state(self, events: np.ndarray | None = None) -> RepresentationState:
        """A new state for an empty window, or for a window holding ``events`` (a resync)."""
        state = RepresentationState(
            map=np.zeros(self.get_shape(), dtype=np.float32),
            counts=np.zeros(self.get_shape()[:2], dtype=np.int64),
            window=EventBuffer(),
        )
        self._init_extra(state)
        if events is not None:
            self.update(state, events, empty_events())
        return state

    def update(
        self, state: RepresentationState, added: np.ndarray, removed: np.ndarray
    ) -> SiteUpdate:
        """Slide the window of ``state``: append ``added``, then drop ``removed`` from the front.

        Args:
            state: from :meth:`init_state` of an equal representation; the only thing mutated.
            added: events entering the window; times non-decreasing and not older than the newest
                event in the window.
            removed: events leaving the window: the oldest ones of the window after appending
                ``added``, oldest first (usually :attr:`WindowChange.removed`).

        Returns:
            Exactly the sites whose value vector or activity changed, with their new values.

        Raises:
            ShapeError: ``state`` does not fit this representation.
            EventFormatError, EventRangeError: bad ``added`` or ``removed`` arrays.
            EventOrderError: ``added`` is older than the window, or ``removed`` are not the
                oldest events of the window. ``state`` is then unchanged.
        """
        self._check_state(state)
        _check_slide(state.window, added, removed, self.mapping.sensor)
        slide = _Slide(added, removed, _flat(self.mapping, added), _flat(self.mapping, removed))
        state.window.append(added)
        state.window.pop_front(len(removed))
        cells, values, active = self._apply(state, slide)
        rows, cols = np.divmod(cells, self.mapping.width)
        return SiteUpdate(rows, cols, values, active)

    def _check_state(self, state: RepresentationState) -> None:
        _check_array('state map', state.map, self.get_shape(), np.dtype(np.float32))
        _check_array('state counts', state.counts, self.get_shape()[:2], np.dtype(np.int64))


def _check_array(name: str, array: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> None:
    """Shape, dtype and C-contiguity (updates write through ``reshape`` views)."""
    if array.shape != shape or array.dtype != dtype or not array.flags.c_contiguous:
        raise ShapeError(
            f'{name} has shape {array.shape} and dtype {array.dtype} (C-contiguous: '
            f'{array.flags.c_contiguous}), needs C-contiguous {shape} {dtype}'
        )


def _check_slide(
    window: EventBuffer, added: np.ndarray, removed: np.ndarray, sensor: SensorSize
) -> None:
    _check_events(added, sensor)
    check_time_order(added, after_t_us=window.last_t_us())
    check_event_array(removed)
    held = window.view()
    n, m = len(removed), min(len(removed), len(held))
    if n > len(held) + len(added):
        raise EventOrderError(
            f'cannot remove {n} events: the window holds {len(held)} plus {len(added)} added'
        )
    expected = concatenate_events([held[:m], added[: n - m]])
    bad = np.flatnonzero(removed != expected)
    if bad.size:
        i = int(bad[0])
        raise EventOrderError(
            f'removed[{i}] = {_describe(removed[i])} is not the oldest event of the window, '
            f'expected {_describe(expected[i])}'
        )


def _describe(event: np.void) -> str:
    return f'(x={event["x"]}, y={event["y"]}, p={event["p"]}, t_us={event["t"]})'


def _update_counts(counts: np.ndarray, slide: _Slide) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply the count changes; return (touched cells [M], activity before [M], after [M])."""
    cells, inverse = np.unique(
        np.concatenate((slide.add_flat, slide.rem_flat)), return_inverse=True
    )
    sign = np.concatenate((np.ones(len(slide.add_flat)), -np.ones(len(slide.rem_flat))))
    delta = np.bincount(inverse, weights=sign, minlength=len(cells)).astype(np.int64)
    flat_counts = counts.reshape(-1)  # view [H*W]
    was_active = flat_counts[cells] > 0
    flat_counts[cells] += delta
    return cells, was_active, flat_counts[cells] > 0


@dataclass(frozen=True)
class Histogram(EventRepresentation):
    """Callable :func:`histogram`: OFF and ON counts per input cell, float32 [H, W, 2]."""

    name: ClassVar[str] = 'histogram'

    @property
    def channels(self) -> int:
        """2: OFF counts, ON counts."""
        return 2

    def __call__(self, events: np.ndarray) -> np.ndarray:
        """:func:`histogram` of ``events`` with this mapping."""
        return histogram(events, self.mapping)

    def _apply(
        self, state: RepresentationState, slide: _Slide
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Counts and map through the kernel seam (compiled or numpy reference)."""
        return ops.histogram_update(
            state.counts.reshape(-1),
            state.map.reshape(-1, 2),
            slide.add_flat,
            np.ascontiguousarray(slide.added['p']),
            slide.rem_flat,
            np.ascontiguousarray(slide.removed['p']),
        )


@dataclass(frozen=True)
class EventQueue(EventRepresentation):
    """Callable :func:`event_queue`: ``k`` ages and ``k`` polarities per cell, float32 [H, W, 2k].

    Attributes:
        k: queue length (15 in the paper).
    """

    name: ClassVar[str] = 'event_queue'
    k: int = DEFAULT_QUEUE_LENGTH

    def __post_init__(self) -> None:
        _check_queue_length(self.k)

    @property
    def channels(self) -> int:
        """2k: ages newest first, then polarities."""
        return 2 * self.k

    def __call__(self, events: np.ndarray) -> np.ndarray:
        """:func:`event_queue` of ``events`` with this mapping and ``k``."""
        return event_queue(events, self.mapping, self.k)

    def _init_extra(self, state: RepresentationState) -> None:
        cells = self.mapping.height * self.mapping.width
        state.queue_t = np.zeros((cells, self.k), dtype=np.int64)
        state.queue_p = np.zeros((cells, self.k), dtype=np.int16)

    def _apply(
        self, state: RepresentationState, slide: _Slide
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-cell queues through the kernel seam (compiled or numpy reference)."""
        if state.queue_t is None or state.queue_p is None:
            raise ShapeError('event queue state has no queue arrays: use EventQueue.init_state()')
        cells = self.mapping.height * self.mapping.width
        _check_array('state queue_t', state.queue_t, (cells, self.k), np.dtype(np.int64))
        _check_array('state queue_p', state.queue_p, (cells, self.k), np.dtype(np.int16))
        return ops.event_queue_update(
            state.counts.reshape(-1),
            state.map.reshape(-1, self.channels),
            state.queue_t,
            state.queue_p,
            slide.add_flat,
            np.ascontiguousarray(slide.added['t']),
            np.ascontiguousarray(slide.added['p']),
            slide.rem_flat,
        )


#: Representation classes by name; every one is built as ``cls(mapping)``.
REPRESENTATIONS: dict[str, type[EventRepresentation]] = {
    'histogram': Histogram,
    'event_queue': EventQueue,
}


def make_representation(name: str, mapping: InputMapping) -> EventRepresentation:
    """Build the representation registered as ``name`` (default parameters).

    Raises:
        ConfigError: ``name`` is not in :data:`REPRESENTATIONS`; the message lists the valid names.
    """
    if name not in REPRESENTATIONS:
        valid = ', '.join(sorted(REPRESENTATIONS))
        raise ConfigError(f'unknown representation {name!r}, valid names: {valid}')
    return REPRESENTATIONS[name](mapping)
