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


"""Geometry options: ``--crop``, ``--downscale``, ``--resize-to``, applied to events and boxes.

The steps run in a fixed order: crop, then downscale, then resize. With an input sensor of
``width`` x ``height``:

* ``--crop X,Y,W,H``: keeps ``X <= x < X + W`` and ``Y <= y < Y + H``, then ``x -= X``,
  ``y -= Y``; the sensor becomes W x H. The rectangle must lie inside the sensor.
* ``--downscale N``: ``x // N``, ``y // N``; the sensor becomes ``(width // N) x (height // N)``
  and events of a partial last column or row (``x // N == width // N``) are dropped.
* ``--resize-to WxH``: ``x * W // width``, ``y * H // height`` (the two factors may differ).

Boxes go through the same steps in real numbers (edges clipped to each step's sensor; a box left
without area is dropped). :func:`fit_options` computes the options that fit a sensor into a
dataset's frame.
"""

from __future__ import annotations

from dataclasses import dataclass
import re

import numpy as np

from asynet_core.errors import AsynetError
from asynet_core.events import SensorSize
from asynet_tools.bag2dataset.errors import Bag2DatasetError

__all__ = ['Geometry', 'fit_options', 'parse_crop', 'parse_size']

_Box = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # x0, y0, x1, y1 (float64)


def parse_crop(text: str) -> tuple[int, int, int, int]:
    """``'X,Y,W,H'`` as four ints (X, Y >= 0; W, H >= 1).

    Raises:
        Bag2DatasetError: not four integers, a negative origin or an empty rectangle.
    """
    parts = [p.strip() for p in text.split(',')]
    if len(parts) != 4 or not all(re.fullmatch(r'-?\d+', p) for p in parts):
        raise Bag2DatasetError(
            f'--crop {text!r}: expected X,Y,W,H (four integers, e.g. 0,0,304,240)'
        )
    x, y, w, h = (int(p) for p in parts)
    if x < 0 or y < 0:
        raise Bag2DatasetError(f'--crop {text!r}: the origin X,Y must be >= 0')
    if w < 1 or h < 1:
        raise Bag2DatasetError(f'--crop {text!r}: the size W,H must be >= 1 (got {w}x{h})')
    return x, y, w, h


def parse_size(text: str, option: str = '--resize-to') -> SensorSize:
    """``'WxH'`` as a :class:`SensorSize`.

    Raises:
        Bag2DatasetError: not ``<int>x<int>``, or a side outside [1, 65536].
    """
    match = re.fullmatch(r'\s*(\d+)\s*[xX]\s*(\d+)\s*', text)
    if not match:
        raise Bag2DatasetError(f'{option} {text!r}: expected WxH (e.g. 304x240)')
    try:
        return SensorSize(int(match.group(1)), int(match.group(2)))
    except AsynetError as err:
        raise Bag2DatasetError(f'{option} {text!r}: {err}') from err


@dataclass(frozen=True)
class Geometry:
    """The geometry options of a conversion (all None: events and boxes pass unchanged).

    Raises:
        Bag2DatasetError: a crop with a negative origin or an empty size, a factor below 1.
    """

    crop: tuple[int, int, int, int] | None = None
    downscale: int | None = None
    resize_to: SensorSize | None = None

    def __post_init__(self) -> None:
        if self.crop is not None:
            parse_crop(','.join(str(v) for v in self.crop))
        if self.downscale is not None and self.downscale < 1:
            raise Bag2DatasetError(f'--downscale must be an integer >= 1, got {self.downscale}')

    def options(self) -> str:
        """The options as given on the command line (empty when none)."""
        out = []
        if self.crop is not None:
            out.append('--crop ' + ','.join(str(v) for v in self.crop))
        if self.downscale is not None:
            out.append(f'--downscale {self.downscale}')
        if self.resize_to is not None:
            out.append(f'--resize-to {self.resize_to.width}x{self.resize_to.height}')
        return ' '.join(out)

    def output_sensor(self, sensor: SensorSize) -> SensorSize:
        """The sensor after all steps.

        Raises:
            Bag2DatasetError: a crop not inside ``sensor``, or a factor larger than a side.
        """
        size = sensor
        if self.crop is not None:
            x, y, w, h = self.crop
            if x + w > size.width or y + h > size.height:
                raise Bag2DatasetError(
                    f'--crop {x},{y},{w},{h} reaches x < {x + w}, y < {y + h}, outside the '
                    f'{size.width}x{size.height} sensor; keep X + W <= {size.width} and '
                    f'Y + H <= {size.height}'
                )
            size = SensorSize(w, h)
        if self.downscale is not None:
            n = self.downscale
            if n > size.width or n > size.height:
                raise Bag2DatasetError(
                    f'--downscale {n} leaves nothing of the {size.width}x{size.height} sensor; '
                    f'use a factor <= {min(size.width, size.height)}'
                )
            size = SensorSize(size.width // n, size.height // n)
        return self.resize_to or size

    def events(self, events: np.ndarray, sensor: SensorSize) -> np.ndarray:
        """The events mapped through the steps; those outside ``sensor`` or a step are dropped."""
        x, y = events['x'].astype(np.int64), events['y'].astype(np.int64)
        keep = (x < sensor.width) & (y < sensor.height)
        size = sensor
        if self.crop is not None:
            cx, cy, cw, ch = self.crop
            x, y = x - cx, y - cy
            keep &= (x >= 0) & (x < cw) & (y >= 0) & (y < ch)
            size = SensorSize(cw, ch)
        if self.downscale is not None:
            n = self.downscale
            x, y, size = x // n, y // n, SensorSize(size.width // n, size.height // n)
            keep &= (x < size.width) & (y < size.height)
        if self.resize_to is not None:
            x = x * self.resize_to.width // size.width
            y = y * self.resize_to.height // size.height
        if keep.all() and self.crop is None and self.downscale is None and self.resize_to is None:
            return events
        out = events[keep].copy()
        out['x'], out['y'] = x[keep], y[keep]
        return out

    def boxes(
        self, x: np.ndarray, y: np.ndarray, w: np.ndarray, h: np.ndarray, sensor: SensorSize
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Boxes (x, y = top-left corner, w, h; pixels) through the steps: (x, y, w, h, keep).

        ``keep`` marks the boxes with an area left; the others' values are meaningless.
        """
        x0, y0 = np.asarray(x, np.float64), np.asarray(y, np.float64)
        x1, y1 = x0 + np.asarray(w, np.float64), y0 + np.asarray(h, np.float64)
        box = _clip((x0, y0, x1, y1), sensor)
        size = sensor
        if self.crop is not None:
            cx, cy, cw, ch = self.crop
            size = SensorSize(cw, ch)
            box = _clip((box[0] - cx, box[1] - cy, box[2] - cx, box[3] - cy), size)
        if self.downscale is not None:
            n = self.downscale
            size = SensorSize(size.width // n, size.height // n)
            box = _clip(tuple(v / n for v in box), size)  # type: ignore[arg-type]
        if self.resize_to is not None:
            fx, fy = self.resize_to.width / size.width, self.resize_to.height / size.height
            box = (box[0] * fx, box[1] * fy, box[2] * fx, box[3] * fy)
        keep = (box[2] > box[0]) & (box[3] > box[1])
        return box[0], box[1], box[2] - box[0], box[3] - box[1], keep


def _clip(box: _Box, size: SensorSize) -> _Box:
    return (
        np.clip(box[0], 0, size.width),
        np.clip(box[1], 0, size.height),
        np.clip(box[2], 0, size.width),
        np.clip(box[3], 0, size.height),
    )


def fit_options(sensor: SensorSize, frame: SensorSize) -> list[str]:
    """Options that make ``sensor`` fit into ``frame``: resize, a centred crop, a downscale.

    Each entry is one alternative in backquotes, with the size it gives when that is not the
    frame's, e.g. ``'`--downscale 3` (213x160)'``; an empty list when the sensor already fits.
    """
    if sensor.width <= frame.width and sensor.height <= frame.height:
        return []
    out = [f'`--resize-to {frame.width}x{frame.height}`']
    cw, ch = min(sensor.width, frame.width), min(sensor.height, frame.height)
    cx, cy = (sensor.width - cw) // 2, (sensor.height - ch) // 2
    out.append(f'`--crop {cx},{cy},{cw},{ch}`')
    n = 2
    while sensor.width // n > frame.width or sensor.height // n > frame.height:
        n += 1
    if sensor.width // n >= 1 and sensor.height // n >= 1:
        out.append(f'`--downscale {n}` ({sensor.width // n}x{sensor.height // n})')
    return out
