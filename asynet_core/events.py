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

"""The one event dtype of the project, the sensor size, and event-array building and checks.

Events are numpy structured arrays of :data:`EVENT_DTYPE`, byte-compatible with Metavision's
``EventCD``:

========  ========  ==========================================================
field     dtype     meaning
========  ========  ==========================================================
``x``     uint16    column, 0 <= x < width
``y``     uint16    row, 0 <= y < height
``p``     int16     polarity: 1 = ON (brightness increase), 0 = OFF
``t``     int64     timestamp in **microseconds** (int64: no 35-minute rollover)
========  ========  ==========================================================

Validation raises the typed errors of :mod:`asynet_core.errors`; every message names the field,
the offending index and value, and the limit. Nothing here mutates its input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from asynet_core.errors import ConfigError, EventFormatError, EventOrderError, EventRangeError

__all__ = [
    'EVENT_DTYPE',
    'MAX_COORD',
    'SensorSize',
    'check_event_array',
    'check_in_sensor',
    'check_polarity',
    'check_time_order',
    'concatenate_events',
    'empty_events',
    'make_events',
    'validate_events',
]

EVENT_DTYPE = np.dtype(
    {
        'names': ['x', 'y', 'p', 't'],
        'formats': ['<u2', '<u2', '<i2', '<i8'],
        'offsets': [0, 2, 4, 8],
        'itemsize': 16,
    }
)

#: Largest coordinate a ``uint16`` field can hold.
MAX_COORD = 65535

_INT64 = np.iinfo(np.int64)


@dataclass(frozen=True)
class SensorSize:
    """Size of an event sensor in pixels, named as in ROS (``width`` = columns, ``height`` = rows).

    Attributes:
        width: number of columns; every event has ``x < width``.
        height: number of rows; every event has ``y < height``.

    Raises:
        ConfigError: a side is not an int in ``[1, 65536]``.
    """

    width: int
    height: int

    def __post_init__(self) -> None:
        _check_side('width', self.width)
        _check_side('height', self.height)

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width), the numpy order of an image of the sensor."""
        return (self.height, self.width)


def _check_side(name: str, value: object) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise ConfigError(
            f'SensorSize.{name} must be an int, got {type(value).__name__} {value!r}'
        )
    if not 1 <= value <= MAX_COORD + 1:
        raise ConfigError(f'SensorSize.{name} must be in [1, {MAX_COORD + 1}], got {value}')


def empty_events() -> np.ndarray:
    """A new empty event array of :data:`EVENT_DTYPE`."""
    return np.zeros(0, dtype=EVENT_DTYPE)


def make_events(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    t_us: npt.ArrayLike,
    p: npt.ArrayLike,
    *,
    signed_polarity: bool = False,
) -> np.ndarray:
    """Build an event array from four equal-length 1-D arrays.

    Args:
        x: columns, integers in ``[0, 65535]``.
        y: rows, integers in ``[0, 65535]``.
        t_us: timestamps in microseconds, integers (order is not checked here; see
            :func:`validate_events`).
        p: polarities in ``{0, 1}``, or in ``{-1, +1}`` when ``signed_polarity`` (then -1
            becomes 0).
        signed_polarity: whether ``p`` uses the -1/+1 convention.

    Returns:
        A new array of :data:`EVENT_DTYPE` (the inputs are never modified).

    Raises:
        EventFormatError: a field is not 1-D or not integer-valued, lengths differ, or a
            polarity is invalid.
        EventRangeError: a coordinate lies outside ``[0, 65535]``.
    """
    raw = {'x': x, 'y': y, 't_us': t_us, 'p': p}
    fields = {name: _as_integer_field(name, values) for name, values in raw.items()}
    _check_equal_lengths(fields)
    for name in ('x', 'y'):
        _check_field_range(name, fields[name], 0, MAX_COORD)
    _check_field_range('t_us', fields['t_us'], _INT64.min, _INT64.max)
    events = np.empty(len(fields['x']), dtype=EVENT_DTYPE)
    events['x'] = fields['x']
    events['y'] = fields['y']
    events['t'] = fields['t_us']
    events['p'] = _polarity_01(fields['p'], signed=signed_polarity)
    return events


def _as_integer_field(name: str, values: npt.ArrayLike) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise EventFormatError(f'{name} must be 1-D, got shape {array.shape}')
    if array.size == 0:
        return array.astype(np.int64)
    if array.dtype.kind in 'iu':
        return array
    if array.dtype.kind == 'f' and bool(np.all(np.isfinite(array) & (array == np.round(array)))):
        return array.astype(np.int64)
    raise EventFormatError(
        f'{name} must hold integers, got dtype {array.dtype} with non-integer values'
    )


def _check_equal_lengths(fields: dict[str, np.ndarray]) -> None:
    lengths = {name: len(values) for name, values in fields.items()}
    if len(set(lengths.values())) > 1:
        raise EventFormatError(f'x, y, t_us and p must have equal lengths, got {lengths}')


def _check_field_range(name: str, values: np.ndarray, low: int, high: int) -> None:
    bad = np.flatnonzero((values < low) | (values > high))
    if bad.size:
        i = int(bad[0])
        raise EventRangeError(f'{name}[{i}] = {values[i]} is outside [{low}, {high}]')


def _polarity_01(p: np.ndarray, *, signed: bool) -> np.ndarray:
    allowed = (-1, 1) if signed else (0, 1)
    bad = np.flatnonzero(~np.isin(p, allowed))
    if bad.size:
        i = int(bad[0])
        raise EventFormatError(f'p[{i}] = {p[i]} is not a polarity in {set(allowed)}')
    return (p > 0).astype(np.int16) if signed else p.astype(np.int16)


def check_event_array(events: np.ndarray) -> None:
    """Check that ``events`` is a 1-D numpy array of :data:`EVENT_DTYPE`.

    Raises:
        EventFormatError: not a numpy array, another dtype, or not 1-D.
    """
    if not isinstance(events, np.ndarray):
        raise EventFormatError(
            f'events must be a numpy array of EVENT_DTYPE, got {type(events).__name__}'
        )
    if events.dtype != EVENT_DTYPE:
        raise EventFormatError(
            f'events must have dtype EVENT_DTYPE (x u2, y u2, p i2, t i8), got {events.dtype}'
        )
    if events.ndim != 1:
        raise EventFormatError(f'events must be 1-D, got shape {events.shape}')


def check_in_sensor(events: np.ndarray, sensor: SensorSize) -> None:
    """Check ``x < sensor.width`` and ``y < sensor.height`` for every event.

    Raises:
        EventRangeError: naming the first offending index, its value and the limit.
    """
    for field, side, limit in (('x', 'width', sensor.width), ('y', 'height', sensor.height)):
        bad = np.flatnonzero(events[field] >= limit)
        if bad.size:
            i = int(bad[0])
            raise EventRangeError(
                f'event {i} has {field}={events[field][i]}, must be < {side} {limit}'
            )


def check_polarity(events: np.ndarray) -> None:
    """Check that every polarity is 0 (OFF) or 1 (ON).

    Raises:
        EventFormatError: naming the first offending index and value.
    """
    bad = np.flatnonzero((events['p'] != 0) & (events['p'] != 1))
    if bad.size:
        i = int(bad[0])
        raise EventFormatError(
            f'event {i} has p={events["p"][i]}, polarity must be 0 (OFF) or 1 (ON)'
        )


def check_time_order(events: np.ndarray, *, after_t_us: int | None = None) -> None:
    """Check that timestamps never decrease, within ``events`` and from ``after_t_us`` on.

    Args:
        events: a 1-D array of :data:`EVENT_DTYPE`.
        after_t_us: if given, the time of the previous event of the stream;
            ``events['t'][0]`` must not be smaller.

    Raises:
        EventOrderError: naming the index and the two times.
    """
    t = events['t']
    if after_t_us is not None and t.size and t[0] < after_t_us:
        raise EventOrderError(
            f'event 0 has t_us={t[0]} < previous t_us={after_t_us}: time went backwards'
        )
    bad = np.flatnonzero(t[1:] < t[:-1])
    if bad.size:
        i = int(bad[0]) + 1
        raise EventOrderError(f'event {i} has t_us={t[i]} < t_us={t[i - 1]} of event {i - 1}')


def validate_events(
    events: np.ndarray, sensor: SensorSize, *, after_t_us: int | None = None
) -> None:
    """Check an event array completely: format, sensor range, polarity and time order.

    Args:
        events: the array to check; never modified.
        sensor: the sensor the events come from.
        after_t_us: if given, no event may be older than this time (the last time of the
            previous array).

    Raises:
        EventFormatError: wrong type, dtype, shape or polarity.
        EventRangeError: an event outside the sensor.
        EventOrderError: time decreases.
    """
    check_event_array(events)
    check_in_sensor(events, sensor)
    check_polarity(events)
    check_time_order(events, after_t_us=after_t_us)


def concatenate_events(chunks: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate event arrays into a new array of :data:`EVENT_DTYPE` (empty for no chunks).

    Use this rather than ``np.concatenate``, which returns a repacked dtype (14-byte items, ``t``
    at offset 6) that :func:`check_event_array` rejects.

    Raises:
        EventFormatError: a chunk is not a 1-D array of :data:`EVENT_DTYPE`.
    """
    for chunk in chunks:
        check_event_array(chunk)
    if not chunks:
        return empty_events()
    # dtype= keeps the padded EventCD layout: np.concatenate alone repacks structured dtypes.
    return np.concatenate(chunks, dtype=EVENT_DTYPE)
