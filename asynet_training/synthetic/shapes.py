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

"""Moving shapes as event streams: the samples of the synthetic datasets.

A filled shape (the class, one of :data:`SHAPE_CLASSES`) of random size and small random rotation
moves over the sensor. Events fire on its outline: points are drawn along the outline (more on
edges facing the motion), each at a uniform random time; the position is the outline point moved
with the shape plus Gaussian sub-pixel jitter; the polarity is ON where the outward edge normal
points along the velocity (leading edge) and OFF on the trailing edge. A fraction of uniform
background noise is added. Everything is vectorised numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from asynet_core.events import concatenate_events, make_events, SensorSize
from asynet_core.synthetic import moving_edges
from asynet_training import formats
from asynet_training.errors import DatasetConfigError

__all__ = [
    'CLS_LAYOUTS',
    'DET_LAYOUTS',
    'SHAPE_CLASSES',
    'make_background_sample',
    'make_classification_sample',
    'make_detection_sample',
]

#: Shape classes, sorted; a class index is a position in this tuple.
SHAPE_CLASSES = ('circle', 'cross', 'ring', 'square', 'triangle')

#: Classification layouts (``ncars``: background vs one shape) and detection layouts.
CLS_LAYOUTS = ('ncaltech101', 'ncars')
DET_LAYOUTS = ('gen1', 'ncaltech101_det')

_MIN_SIDE = 16  # smallest sensor side a shape fits on
_MAX_ROTATION = np.deg2rad(15.0)  # keeps square, cross and triangle apart
_MIN_EDGE_RATE = 0.3  # relative event rate of an edge parallel to the motion
_MARGIN_PX = 2.0
_MAX_FILL = 0.8  # most of the room one shape may cover when it and its motion do not fit
_FIT_SLACK = 1.0 - 1e-9  # keeps a fitted shape strictly inside despite rounding
# N-Caltech101 recording saccade (times in µs, shift in px), as compensated by the reader.
_SACCADE_T_US = np.array([0, 100_000, 200_000, 300_000], dtype=np.int64)
_SACCADE_XY = np.array([[0.0, 0.0], [3.5, 7.0], [7.0, 0.0], [0.0, 0.0]])
_SPLIT_CODES = {'train': 0, 'val': 1, 'test': 2}


# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class _Outline:
    """Straight outline segments of a filled shape, in pixels relative to its centre."""

    start: np.ndarray  # [S, 2] segment start points (x, y)
    vec: np.ndarray  # [S, 2] segment vectors
    normal: np.ndarray  # [S, 2] unit normals pointing out of the filled region
    low: np.ndarray  # [2] bounding-box minimum (x, y)
    high: np.ndarray  # [2] bounding-box maximum (x, y)


def _regular(n: int, radius: float, phase: float = 0.0) -> np.ndarray:
    angle = phase + 2 * np.pi * np.arange(n) / n
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # [n, 2]


def _cross(arm: float = 0.32) -> np.ndarray:
    """A plus sign: 12 vertices, arms of half-width ``arm`` reaching 1."""
    quarter = np.array([[arm, -1.0], [arm, -arm], [1.0, -arm]])  # [3, 2], one arm's corner
    rot90 = np.array([[0.0, -1.0], [1.0, 0.0]])
    return np.concatenate([quarter @ np.linalg.matrix_power(rot90, k).T for k in range(4)])


def _unit_loops(name: str) -> list[tuple[np.ndarray, bool]]:
    """(vertices [V, 2], is_hole) loops of a shape of half-extent about 1."""
    loops = {
        'circle': [(_regular(48, 1.0), False)],
        'ring': [(_regular(48, 1.0), False), (_regular(48, 0.55), True)],
        'square': [(_regular(4, np.sqrt(2.0), np.pi / 4), False)],
        'triangle': [(_regular(3, 1.1, -np.pi / 2), False)],
        'cross': [(_cross(), False)],
    }
    return loops[name]


def _loop_segments(vertices: np.ndarray, hole: bool) -> tuple[np.ndarray, ...]:
    vec = np.roll(vertices, -1, axis=0) - vertices  # [V, 2]
    area2 = np.sum(
        vertices[:, 0] * np.roll(vertices[:, 1], -1) - np.roll(vertices[:, 0], -1) * vertices[:, 1]
    )
    sign = np.sign(area2) * (-1.0 if hole else 1.0)
    normal = sign * np.stack([vec[:, 1], -vec[:, 0]], axis=1)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    return vertices, vec, normal


def _outline(name: str, size_px: float, angle: float) -> _Outline:
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    parts = [_loop_segments(size_px * v @ rot.T, hole) for v, hole in _unit_loops(name)]
    start, vec, normal = (np.concatenate(p) for p in zip(*parts, strict=True))
    return _Outline(start, vec, normal, start.min(axis=0), start.max(axis=0))


# --------------------------------------------------------------------------- motion


@dataclass(frozen=True)
class _Path:
    """Piecewise-linear centre trajectory: knot times (µs) and centre positions (px)."""

    t_us: np.ndarray  # [K + 1] increasing knot times, t_us[0] = 0
    xy: np.ndarray  # [K + 1, 2] centre at each knot

    def at(self, t_us: np.ndarray) -> np.ndarray:
        """Centre positions [N, 2] at times ``t_us`` [N]."""
        t = np.asarray(t_us, dtype=np.float64)
        return np.stack([np.interp(t, self.t_us, self.xy[:, i]) for i in (0, 1)], axis=1)

    def segment_of(self, t_us: np.ndarray) -> np.ndarray:
        """Index of the linear piece each time lies in."""
        return np.clip(np.searchsorted(self.t_us, t_us, side='right') - 1, 0, len(self.t_us) - 2)

    @property
    def velocity(self) -> np.ndarray:
        """[K, 2] velocity of each piece in px / µs."""
        return np.diff(self.xy, axis=0) / np.diff(self.t_us)[:, None]


def _room(sensor: SensorSize) -> np.ndarray:
    """[2] the span (px) a shape's extent plus its motion may cover, margins left on both sides."""
    return np.array([sensor.width, sensor.height], dtype=np.float64) - 1 - 2 * _MARGIN_PX


def _place(
    outline: _Outline, shift: np.ndarray, sensor: SensorSize, rng: np.random.Generator
) -> np.ndarray:
    """A start centre keeping the shape inside the sensor at every shift [K + 1, 2]."""
    limit = np.array([sensor.width, sensor.height], dtype=np.float64) - 1 - _MARGIN_PX
    lo = _MARGIN_PX - outline.low - shift.min(axis=0)
    hi = np.maximum(limit - outline.high - shift.max(axis=0), lo)  # equal up to rounding
    return np.asarray(rng.uniform(lo, hi), dtype=np.float64)


def _fit(
    outline: _Outline,
    shift: np.ndarray,
    sensor: SensorSize,
    redraw: Callable[[float], _Outline],
    fixed_shift: bool,
) -> tuple[_Outline, np.ndarray]:
    """The shape and its shift, made to fit the sensor; unchanged when they already fit.

    A shape that would cover more than :data:`_MAX_FILL` of the room (or, with a fixed shift such
    as the saccade, more than the room the shift leaves) is redrawn smaller with ``redraw(scale)``;
    then a free shift is shortened to the room left. So every valid seed gives a sample, and the
    samples of seeds that fitted before are unchanged.
    """
    room, motion = _room(sensor), np.ptp(shift, axis=0)
    extent = outline.high - outline.low
    if np.all(extent + motion <= room):
        return outline, shift
    shape_room = room - motion if fixed_shift else _MAX_FILL * room
    scale = float(np.min(shape_room / extent))
    if scale < 1.0:
        outline = redraw(scale * _FIT_SLACK)
        extent = outline.high - outline.low
    if not fixed_shift:
        free = np.maximum(room - extent, 0.0) * _FIT_SLACK
        ratios = np.where(motion > 0, free / np.maximum(motion, 1e-12), np.inf)
        shift = shift * min(1.0, float(np.min(ratios)))
    return outline, shift


def _linear_shift(
    span_px: tuple[float, float], duration_us: int, sensor: SensorSize, rng: np.random.Generator
) -> np.ndarray:
    """Shift [2, 2] at t = 0 and t = duration of a random constant velocity."""
    distance = rng.uniform(*span_px) * min(sensor.width, sensor.height)
    angle = rng.uniform(0.0, 2 * np.pi)
    return np.array([[0.0, 0.0], [distance * np.cos(angle), distance * np.sin(angle)]])


def _make_path(
    shape: tuple[str, float, float],
    motion: str,
    span: tuple[float, float],
    duration_us: int,
    sensor: SensorSize,
    rng: np.random.Generator,
) -> tuple[_Outline, _Path]:
    """The outline of ``shape`` (name, size px, angle) and its path, fitted to the sensor."""
    name, size_px, angle = shape
    outline = _outline(name, size_px, angle)
    if motion == 'saccade':
        knots, shift = _SACCADE_T_US, _SACCADE_XY
    else:
        knots = np.array([0, duration_us], dtype=np.int64)
        shift = _linear_shift(span, duration_us, sensor, rng)
    outline, shift = _fit(
        outline,
        shift,
        sensor,
        lambda scale: _outline(name, size_px * scale, angle),
        fixed_shift=motion == 'saccade',
    )
    return outline, _Path(knots, _place(outline, shift, sensor, rng) + shift)


# --------------------------------------------------------------------------- events


def _edge_points(
    outline: _Outline, velocity: np.ndarray, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` outline points [N, 2] and their normals, denser on edges facing the motion."""
    speed = np.linalg.norm(velocity)
    facing = np.abs(outline.normal @ velocity) / speed if speed > 0 else 1.0
    weight = np.linalg.norm(outline.vec, axis=1) * (_MIN_EDGE_RATE + (1 - _MIN_EDGE_RATE) * facing)
    seg = rng.choice(len(weight), size=count, p=weight / weight.sum())  # [N]
    along = rng.uniform(0.0, 1.0, size=count)[:, None]
    return outline.start[seg] + along * outline.vec[seg], outline.normal[seg]


def _shape_events(
    outline: _Outline,
    path: _Path,
    count: int,
    sensor: SensorSize,
    rng: np.random.Generator,
    jitter_px: float,
) -> np.ndarray:
    """``count`` unsorted events of one moving shape."""
    t = rng.integers(0, path.t_us[-1], size=count, dtype=np.int64)
    piece = path.segment_of(t)
    velocity = path.velocity  # [K, 2]
    xy = np.empty((count, 2))
    polarity = np.empty(count, dtype=np.int64)
    for k in range(len(velocity)):  # at most 3 pieces; each vectorised
        mask = piece == k
        point, normal = _edge_points(outline, velocity[k], int(mask.sum()), rng)
        xy[mask] = point
        polarity[mask] = (normal @ velocity[k] > 0).astype(np.int64)
    xy += path.at(t) + rng.normal(0.0, jitter_px, size=(count, 2))
    return _to_events(xy, t, polarity, sensor)


def _to_events(
    xy: np.ndarray, t: np.ndarray, polarity: np.ndarray, sensor: SensorSize
) -> np.ndarray:
    x = np.clip(np.floor(xy[:, 0]), 0, sensor.width - 1).astype(np.int64)
    y = np.clip(np.floor(xy[:, 1]), 0, sensor.height - 1).astype(np.int64)
    return make_events(x, y, t, polarity)


def _noise_events(
    count: int, duration_us: int, sensor: SensorSize, rng: np.random.Generator
) -> np.ndarray:
    x = rng.integers(0, sensor.width, size=count)
    y = rng.integers(0, sensor.height, size=count)
    t = rng.integers(0, duration_us, size=count, dtype=np.int64)
    return make_events(x, y, t, rng.integers(0, 2, size=count))


def _sorted(chunks: Sequence[np.ndarray]) -> np.ndarray:
    events = concatenate_events(chunks)
    return events[np.argsort(events['t'], kind='stable')]


def _split_counts(num_events: int, noise_fraction: float, parts: int) -> tuple[int, np.ndarray]:
    noise = round(num_events * noise_fraction)
    per_part = np.full(parts, (num_events - noise) // parts)
    per_part[: (num_events - noise) % parts] += 1
    return noise, per_part


# --------------------------------------------------------------------------- validation


def _check_sensor(sensor: SensorSize) -> None:
    if not isinstance(sensor, SensorSize):
        raise DatasetConfigError(f'sensor must be a SensorSize, got {type(sensor).__name__}')
    if min(sensor.width, sensor.height) < _MIN_SIDE:
        raise DatasetConfigError(
            f'sensor {sensor.width}x{sensor.height} is too small: '
            f'both sides must be >= {_MIN_SIDE}'
        )


def _check_positive(name: str, value: object, minimum: int = 1) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise DatasetConfigError(f'{name} must be an int >= {minimum}, got {value!r}')


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise DatasetConfigError(f'{name} must be in [0, 1), got {value}')


def _check_class_index(cls_index: object) -> None:
    if not isinstance(cls_index, (int, np.integer)) or not 0 <= cls_index < len(SHAPE_CLASSES):
        raise DatasetConfigError(
            f'class index {cls_index!r} is not in [0, {len(SHAPE_CLASSES)}): '
            f'classes are {list(SHAPE_CLASSES)}'
        )


def _check_common(sensor: SensorSize, num_events: int, duration_us: int, noise: float) -> None:
    _check_sensor(sensor)
    _check_positive('num_events', num_events)
    _check_positive('duration_us', duration_us, 2)
    _check_fraction('noise_fraction', noise)


# --------------------------------------------------------------------------- samples


def make_classification_sample(
    cls_index: int,
    sensor: SensorSize,
    num_events: int,
    rng: np.random.Generator,
    *,
    duration_us: int = 50_000,
    noise_fraction: float = 0.05,
    jitter_px: float = 0.5,
) -> np.ndarray:
    """One moving shape of class ``SHAPE_CLASSES[cls_index]`` as a time-sorted event array.

    The shape's half-extent is 20-35 % of the shorter sensor side; it moves 5-15 % of that side
    over ``duration_us`` at constant velocity and stays inside the sensor.

    Args:
        cls_index: index into :data:`SHAPE_CLASSES`.
        sensor: sensor size; both sides >= 16.
        num_events: exact number of events returned.
        rng: the random generator (the only source of randomness).
        duration_us: time span; timestamps lie in ``[0, duration_us)``.
        noise_fraction: fraction of uniform background-noise events, in ``[0, 1)``.
        jitter_px: standard deviation of the Gaussian position jitter in pixels.

    Returns:
        ``EVENT_DTYPE`` events sorted by ``t`` (int64 µs).

    Raises:
        DatasetConfigError: a bad class index, sensor, count, duration or fraction.
    """
    _check_class_index(cls_index)
    _check_common(sensor, num_events, duration_us, noise_fraction)
    side = min(sensor.width, sensor.height)
    angle = rng.uniform(-_MAX_ROTATION, _MAX_ROTATION)
    shape = (SHAPE_CLASSES[cls_index], rng.uniform(0.2, 0.35) * side, angle)
    outline, path = _make_path(shape, 'linear', (0.05, 0.15), duration_us, sensor, rng)
    noise, (shape,) = _split_counts(num_events, noise_fraction, 1)
    return _sorted(
        [
            _shape_events(outline, path, int(shape), sensor, rng, jitter_px),
            _noise_events(noise, duration_us, sensor, rng),
        ]
    )


def make_background_sample(
    sensor: SensorSize,
    num_events: int,
    rng: np.random.Generator,
    *,
    duration_us: int = 50_000,
    noise_fraction: float = 0.3,
) -> np.ndarray:
    """Clutter without a shape: a few random moving edges plus uniform noise (N-Cars background).

    Args:
        sensor: sensor size; both sides >= 16.
        num_events: exact number of events returned.
        rng: the random generator.
        duration_us: time span; timestamps lie in ``[0, duration_us)``.
        noise_fraction: fraction of uniform noise events, in ``[0, 1)``.

    Returns:
        ``EVENT_DTYPE`` events sorted by ``t``.
    """
    _check_common(sensor, num_events, duration_us, noise_fraction)
    noise, (edges,) = _split_counts(num_events, noise_fraction, 1)
    seed = int(rng.integers(0, 2**31))
    clutter = moving_edges(
        sensor, int(edges), seed, edges=int(rng.integers(2, 5)), duration_us=duration_us
    )
    return _sorted([clutter, _noise_events(noise, duration_us, sensor, rng)])


def _label_times(label_times_us: Sequence[int] | np.ndarray) -> np.ndarray:
    """The unique sorted label times as int64, checked to be a non-empty 1-D array."""
    times = np.asarray(label_times_us)
    if times.ndim != 1 or times.size == 0 or times.dtype.kind not in 'iu':
        raise DatasetConfigError(
            f'label_times_us must be a non-empty 1-D integer array, got shape {times.shape} '
            f'dtype {times.dtype}'
        )
    return np.unique(times.astype(np.int64))


def _check_label_range(times: np.ndarray, duration_us: int) -> None:
    if times[0] < 0 or times[-1] > duration_us:
        raise DatasetConfigError(
            f'label_times_us must lie in [0, duration_us={duration_us}], got '
            f'[{times[0]}, {times[-1]}]'
        )


def _object_classes(
    class_ids: Sequence[int] | None, num_objects: int, rng: np.random.Generator
) -> np.ndarray:
    if class_ids is None:
        return rng.integers(0, len(SHAPE_CLASSES), size=num_objects)
    if len(class_ids) != num_objects:
        raise DatasetConfigError(
            f'class_ids has {len(class_ids)} entries for num_objects={num_objects}'
        )
    for cls_index in class_ids:
        _check_class_index(cls_index)
    return np.asarray(class_ids, dtype=np.int64)


def _boxes(
    outline: _Outline, path: _Path, times: np.ndarray, cls: int, track: int, sensor: SensorSize
) -> np.ndarray:
    centre = path.at(times)  # [T, 2]
    low = np.clip(centre + outline.low, 0, [sensor.width, sensor.height])
    high = np.clip(centre + outline.high, 0, [sensor.width, sensor.height])
    boxes = np.zeros(len(times), dtype=formats.BBOX_DTYPE)
    boxes['t'] = times
    boxes['x'], boxes['y'] = low[:, 0], low[:, 1]
    boxes['w'], boxes['h'] = (high - low)[:, 0], (high - low)[:, 1]
    boxes['class_id'], boxes['track_id'], boxes['class_confidence'] = cls, track, 1.0
    return boxes


def make_detection_sample(
    sensor: SensorSize,
    num_objects: int,
    num_events: int,
    label_times_us: Sequence[int] | np.ndarray,
    rng: np.random.Generator,
    *,
    duration_us: int | None = None,
    class_ids: Sequence[int] | None = None,
    motion: str = 'linear',
    noise_fraction: float = 0.02,
    jitter_px: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Several moving shapes and their bounding boxes at the label times.

    Each object has a half-extent of 8-20 % of the shorter sensor side and moves 5-40 % of that
    side over the stream (or along the N-Caltech101 saccade, ``motion='saccade'``, 300 ms),
    staying inside the sensor. Events are split evenly between objects after the noise share.

    Args:
        sensor: sensor size; both sides >= 16.
        num_objects: number of shapes (>= 1).
        num_events: exact number of events returned.
        label_times_us: times (µs) at which boxes are reported, within ``[0, duration_us]``.
        rng: the random generator.
        duration_us: time span of the stream; default ``max(label_times_us) + 1`` (300 000 for
            the saccade).
        class_ids: class index per object; default random.
        motion: ``'linear'`` (constant velocity) or ``'saccade'``.
        noise_fraction: fraction of uniform noise events, in ``[0, 1)``.
        jitter_px: standard deviation of the Gaussian position jitter in pixels.

    Returns:
        ``(events, boxes)``: time-sorted ``EVENT_DTYPE`` events, and boxes of
        :data:`asynet_training.formats.BBOX_DTYPE` sorted by time, one per object per label time
        (``track_id`` = object index), each the shape's bounding box at that time clipped to
        the sensor.

    Raises:
        DatasetConfigError: a bad argument (named in the message).
    """
    times = _label_times(label_times_us)
    if motion not in ('linear', 'saccade'):
        raise DatasetConfigError(f"motion must be 'linear' or 'saccade', got {motion!r}")
    if duration_us is None:
        duration_us = int(_SACCADE_T_US[-1]) if motion == 'saccade' else int(times[-1]) + 1
    _check_positive('num_objects', num_objects)
    _check_common(sensor, num_events, duration_us, noise_fraction)
    _check_label_range(times, duration_us)
    if motion == 'saccade' and duration_us != _SACCADE_T_US[-1]:
        raise DatasetConfigError(f'the saccade lasts {_SACCADE_T_US[-1]} µs, got {duration_us}')
    classes = _object_classes(class_ids, num_objects, rng)
    noise, counts = _split_counts(num_events, noise_fraction, num_objects)
    side = min(sensor.width, sensor.height)
    chunks, boxes = [_noise_events(noise, duration_us, sensor, rng)], []
    for obj, cls in enumerate(classes):
        angle = rng.uniform(-_MAX_ROTATION, _MAX_ROTATION)
        shape = (SHAPE_CLASSES[cls], rng.uniform(0.08, 0.2) * side, angle)
        outline, path = _make_path(shape, motion, (0.05, 0.4), duration_us, sensor, rng)
        chunks.append(_shape_events(outline, path, int(counts[obj]), sensor, rng, jitter_px))
        boxes.append(_boxes(outline, path, times, int(cls), obj, sensor))
    all_boxes = np.concatenate(boxes, dtype=formats.BBOX_DTYPE)  # keeps the 40-byte layout
    return _sorted(chunks), all_boxes[np.argsort(all_boxes['t'], kind='stable')]
