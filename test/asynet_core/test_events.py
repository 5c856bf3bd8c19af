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

"""The event dtype, SensorSize, make_events and validate_events."""

from __future__ import annotations

from collections.abc import Callable
import dataclasses

import numpy as np
import pytest

from asynet_core.errors import (
    ConfigError,
    EventFormatError,
    EventOrderError,
    EventRangeError,
)
from asynet_core.events import (
    concatenate_events,
    empty_events,
    EVENT_DTYPE,
    make_events,
    SensorSize,
    validate_events,
)

EventFactory = Callable[..., np.ndarray]
SENSOR = SensorSize(width=8, height=6)


def events_of(*rows: tuple[int, int, int, int]) -> np.ndarray:
    """Events from (x, y, t_us, p) tuples."""
    x, y, t_us, p = (np.array(column) for column in zip(*rows, strict=True))
    return make_events(x, y, t_us, p)


# --- dtype and SensorSize ---------------------------------------------------------------------


def test_event_dtype_is_metavision_event_cd() -> None:
    assert EVENT_DTYPE.names == ('x', 'y', 'p', 't')
    assert [EVENT_DTYPE.fields[name][0] for name in EVENT_DTYPE.names] == [
        np.dtype('<u2'),
        np.dtype('<u2'),
        np.dtype('<i2'),
        np.dtype('<i8'),
    ]
    assert [EVENT_DTYPE.fields[name][1] for name in EVENT_DTYPE.names] == [0, 2, 4, 8]
    assert EVENT_DTYPE.itemsize == 16


def test_sensor_size_fields_and_shape() -> None:
    sensor = SensorSize(width=640, height=480)
    assert (sensor.width, sensor.height, sensor.shape) == (640, 480, (480, 640))
    assert SensorSize(width=65536, height=1).width == 65536
    with pytest.raises(dataclasses.FrozenInstanceError):
        sensor.width = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ('kwargs', 'match'),
    [
        ({'width': 0, 'height': 4}, r'SensorSize\.width must be in \[1, 65536\], got 0'),
        ({'width': 4, 'height': -2}, r'SensorSize\.height must be in \[1, 65536\], got -2'),
        ({'width': 65537, 'height': 4}, r'SensorSize\.width must be in \[1, 65536\], got 65537'),
        ({'width': 4.0, 'height': 4}, r'SensorSize\.width must be an int, got float 4\.0'),
        ({'width': 4, 'height': True}, r'SensorSize\.height must be an int, got bool True'),
    ],
)
def test_sensor_size_rejects(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        SensorSize(**kwargs)  # type: ignore[arg-type]


# --- make_events ------------------------------------------------------------------------------


def test_make_events_round_trip() -> None:
    x, y, t_us, p = [3, 0, 7], [1, 5, 0], [10, 10, 2**40], [1, 0, 1]
    events = make_events(x, y, t_us, p)
    assert events.dtype == EVENT_DTYPE
    assert events['x'].tolist() == x
    assert events['y'].tolist() == y
    assert events['t'].tolist() == t_us
    assert events['p'].tolist() == p


def test_make_events_signed_polarity_maps_minus_one_to_off() -> None:
    events = make_events([0, 1, 2], [0, 0, 0], [0, 1, 2], [-1, 1, -1], signed_polarity=True)
    assert events['p'].tolist() == [0, 1, 0]


def test_make_events_accepts_integral_floats_and_empty() -> None:
    events = make_events(np.array([1.0, 2.0]), [0, 1], np.array([5.0, 6.0]), [0, 1])
    assert events['x'].tolist() == [1, 2]
    assert events['t'].tolist() == [5, 6]
    assert len(make_events([], [], [], [])) == 0


def test_make_events_does_not_mutate_inputs() -> None:
    arrays = [np.array([1, 2]), np.array([3, 4]), np.array([5, 6]), np.array([-1, 1])]
    copies = [array.copy() for array in arrays]
    make_events(*arrays, signed_polarity=True)
    for array, copy in zip(arrays, copies, strict=True):
        assert np.array_equal(array, copy)


@pytest.mark.parametrize(
    ('args', 'error', 'match'),
    [
        (([[1]], [1], [1], [1]), EventFormatError, r'x must be 1-D, got shape \(1, 1\)'),
        (([1], [1], 5, [1]), EventFormatError, r't_us must be 1-D, got shape \(\)'),
        (
            ([1, 2], [1], [1, 2], [1, 0]),
            EventFormatError,
            r"equal lengths, got \{'x': 2, 'y': 1, 't_us': 2, 'p': 2\}",
        ),
        (([-1], [0], [0], [0]), EventRangeError, r'x\[0\] = -1 is outside \[0, 65535\]'),
        (([0, 65536], [0, 0], [0, 0], [0, 0]), EventRangeError, r'x\[1\] = 65536 is outside'),
        (([0], [70000], [0], [0]), EventRangeError, r'y\[0\] = 70000 is outside \[0, 65535\]'),
        (
            ([0], [0], np.array([2**63], dtype=np.uint64), [0]),
            EventRangeError,
            r't_us\[0\] = 9223372036854775808 is outside',
        ),
        (
            ([0.5], [0], [0], [0]),
            EventFormatError,
            r'x must hold integers, got dtype float64 with non-integer values',
        ),
        (([0], [0], [np.nan], [0]), EventFormatError, r't_us must hold integers'),
        ((['a'], [0], [0], [0]), EventFormatError, r'x must hold integers, got dtype <U1'),
        (([0, 0], [0, 0], [0, 1], [1, 2]), EventFormatError, r'p\[1\] = 2 is not a polarity'),
        (([0], [0], [0], [-1]), EventFormatError, r'p\[0\] = -1 is not a polarity in \{0, 1\}'),
    ],
)
def test_make_events_rejects(args: tuple[object, ...], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make_events(*args)  # type: ignore[arg-type]


def test_make_events_signed_rejects_zero_polarity() -> None:
    with pytest.raises(EventFormatError, match=r'p\[1\] = 0 is not a polarity in \{1, -1\}'):
        make_events([0, 0], [0, 0], [0, 0], [1, 0], signed_polarity=True)


# --- validate_events --------------------------------------------------------------------------


def test_validate_events_accepts_and_does_not_mutate(
    rng: np.random.Generator, event_factory: EventFactory
) -> None:
    events = event_factory(rng, SENSOR, 500, max_dt_us=3)
    copy = events.copy()
    assert validate_events(events, SENSOR) is None
    assert validate_events(events, SENSOR, after_t_us=int(events['t'][0])) is None
    assert np.array_equal(events, copy)
    validate_events(empty_events(), SENSOR, after_t_us=10**12)


def test_validate_events_accepts_edges_of_sensor() -> None:
    validate_events(events_of((7, 5, 0, 1), (0, 0, 0, 0)), SENSOR)


def with_field(events: np.ndarray, field: str, index: int, value: int) -> np.ndarray:
    """A copy of ``events`` with one field of one event replaced."""
    changed = events.copy()
    changed[field][index] = value
    return changed


GOOD = events_of((1, 1, 10, 0), (2, 3, 20, 1), (7, 5, 20, 1))


@pytest.mark.parametrize(
    ('events', 'error', 'match'),
    [
        ([1, 2, 3], EventFormatError, r'numpy array of EVENT_DTYPE, got list'),
        (np.zeros((3, 4)), EventFormatError, r'must have dtype EVENT_DTYPE .* got float64'),
        (
            np.zeros(3, dtype=[('x', '<u2'), ('y', '<u2'), ('t', '<i8'), ('p', '<i2')]),
            EventFormatError,
            r"got \[\('x', '<u2'\), \('y', '<u2'\), \('t', '<i8'\), \('p', '<i2'\)\]",
        ),
        (GOOD.reshape(3, 1), EventFormatError, r'events must be 1-D, got shape \(3, 1\)'),
        (with_field(GOOD, 'x', 1, 8), EventRangeError, r'event 1 has x=8, must be < width 8'),
        (with_field(GOOD, 'y', 2, 6), EventRangeError, r'event 2 has y=6, must be < height 6'),
        (
            with_field(GOOD, 'p', 0, -1),
            EventFormatError,
            r'event 0 has p=-1, polarity must be 0 \(OFF\) or 1 \(ON\)',
        ),
        (
            with_field(GOOD, 't', 2, 19),
            EventOrderError,
            r'event 2 has t_us=19 < t_us=20 of event 1',
        ),
    ],
)
def test_validate_events_rejects(events: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        validate_events(events, SENSOR)  # type: ignore[arg-type]


def test_validate_events_rejects_time_before_previous_array() -> None:
    with pytest.raises(EventOrderError, match=r'event 0 has t_us=10 < previous t_us=11'):
        validate_events(GOOD, SENSOR, after_t_us=11)


def test_validate_events_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match='must be < width'):
        validate_events(with_field(GOOD, 'x', 0, 100), SENSOR)


# --- empty_events, concatenate_events ---------------------------------------------------------


def test_empty_events_are_new_arrays() -> None:
    first, second = empty_events(), empty_events()
    assert first.dtype == EVENT_DTYPE
    assert first.shape == (0,)
    assert not np.shares_memory(first, second)


def test_concatenate_events(rng: np.random.Generator, event_factory: EventFactory) -> None:
    events = event_factory(rng, SENSOR, 50)
    joined = concatenate_events([events[:20], events[20:20], events[20:]])
    assert joined.dtype == EVENT_DTYPE
    assert np.array_equal(joined, events)
    assert len(concatenate_events([])) == 0
    with pytest.raises(EventFormatError, match=r'must have dtype EVENT_DTYPE'):
        concatenate_events([events, np.zeros(3)])
