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

"""Annotated event frames: the window's events with the detections or the top class drawn on.

ON events are drawn white, OFF events blue, on a dark background; boxes in a colour per class
with the class name and score, ground-truth boxes (when given) thin and grey, the sensor time
at the bottom and a class legend at the top right. Frames are ``[H, W, 3]`` uint8 RGB at the
sensor's resolution scaled down so that no side exceeds :data:`MAX_FRAME_SIDE`: the memory of
a frame is bounded whatever size a message claims. For the debug image topic and for replay's
PNG / GIF output.
"""

from __future__ import annotations

from collections.abc import Sequence
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from asynet_core.events import SensorSize
from asynet_ros.pipeline import Result

__all__ = ['MAX_FRAME_SIDE', 'frame_size', 'render', 'save_gif', 'save_png']

#: The longest side of a frame in pixels (the HD sensors' width); larger sensors are scaled down.
MAX_FRAME_SIDE = 1280

_BACKGROUND = (30, 30, 30)
_ON = (255, 255, 255)
_OFF = (70, 140, 255)
_TRUTH = (150, 150, 150)
_PALETTE = ((255, 80, 80), (80, 220, 80), (255, 200, 40), (220, 80, 220), (40, 220, 220))


def frame_size(sensor: SensorSize, max_side: int = MAX_FRAME_SIDE) -> tuple[float, int, int]:
    """(scale, width, height) of the frame of ``sensor``: scale 1 unless a side is too long."""
    scale = min(1.0, max_side / max(sensor.width, sensor.height))
    return scale, max(1, math.ceil(sensor.width * scale)), max(1, math.ceil(sensor.height * scale))


def render(
    events: np.ndarray,
    sensor: SensorSize,
    result: Result | None = None,
    class_names: Sequence[str] = (),
    *,
    truth_boxes: np.ndarray | None = None,
    max_side: int = MAX_FRAME_SIDE,
) -> np.ndarray:
    """An RGB frame of ``events`` with ``result`` (and ``truth_boxes``, xyxy sensor px) on it."""
    scale, width, height = frame_size(sensor, max_side)
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[:] = _BACKGROUND
    if len(events):
        on = events['p'] > 0
        x = np.minimum((events['x'] * scale).astype(np.int64), width - 1)
        y = np.minimum((events['y'] * scale).astype(np.int64), height - 1)
        frame[y[~on], x[~on]] = _OFF
        frame[y[on], x[on]] = _ON
    if result is None and truth_boxes is None:
        return frame
    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image)
    for box in () if truth_boxes is None else truth_boxes:
        draw.rectangle(tuple(float(v) * scale for v in box[:4]), outline=_TRUTH, width=1)
    if result is not None:
        _draw_result(draw, result, class_names, scale)
        draw.text((4, height - 12), f't = {result.t_us / 1e6:.3f} s', fill=_ON)
    _legend(draw, class_names, width)
    return np.asarray(image)


def _draw_result(
    draw: ImageDraw.ImageDraw, result: Result, class_names: Sequence[str], scale: float
) -> None:
    if result.boxes is not None and result.scores is not None and result.labels is not None:
        for box, score, label in zip(result.boxes, result.scores, result.labels, strict=True):
            colour = _PALETTE[int(label) % len(_PALETTE)]
            x0, y0, x1, y1 = (float(v) * scale for v in box)
            draw.rectangle((x0, y0, x1, y1), outline=colour, width=2)
            draw.text((x0 + 2, max(y0 - 11, 0)), f'{_name(class_names, label)} {score:.2f}',
                      fill=colour)  # fmt: skip
    elif result.probabilities is not None:
        best = int(np.argmax(result.probabilities))
        text = f'{_name(class_names, best)} {float(result.probabilities[best]):.2f}'
        draw.text((4, 4), text, fill=_PALETTE[best % len(_PALETTE)])


def _legend(draw: ImageDraw.ImageDraw, class_names: Sequence[str], width: int) -> None:
    """The class colours, top right (at most as many as the palette distinguishes)."""
    for i, name in enumerate(class_names[: len(_PALETTE)]):
        draw.text((max(width - 8 * len(name) - 6, 0), 4 + 11 * i), name, fill=_PALETTE[i])


def _name(class_names: Sequence[str], label: int) -> str:
    return class_names[int(label)] if int(label) < len(class_names) else str(int(label))


def save_png(frame: np.ndarray, path: str | Path) -> None:
    """Write one frame as PNG."""
    Image.fromarray(frame).save(path, format='PNG')


def save_gif(
    frames: Sequence[np.ndarray],
    path: str | Path,
    fps: float = 10.0,
    durations_ms: Sequence[float] | None = None,
) -> None:
    """Write frames as a looping GIF: at ``fps``, or each shown for its ``durations_ms``.

    Durations are clamped to [20, 2000] ms (what viewers show reliably, and no frozen GIF).
    """
    if not frames:
        raise ValueError('save_gif needs at least one frame')
    if durations_ms is None:
        durations = [max(int(1000 / fps), 20)] * len(frames)
    else:
        durations = [int(min(max(float(d), 20.0), 2000.0)) for d in durations_ms]
    images = [Image.fromarray(f) for f in frames]
    images[0].save(
        path,
        format='GIF',
        save_all=True,
        append_images=images[1:],
        duration=durations if len(images) > 1 else durations[0],
        loop=0,
    )
