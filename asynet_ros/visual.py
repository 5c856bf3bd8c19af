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
with the class name and score. Frames are ``[H, W, 3]`` uint8 RGB at sensor resolution, for the
debug image topic and for replay's PNG / GIF output.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from asynet_core.events import SensorSize
from asynet_ros.pipeline import Result

__all__ = ['render', 'save_gif', 'save_png']

_BACKGROUND = (30, 30, 30)
_ON = (255, 255, 255)
_OFF = (70, 140, 255)
_PALETTE = ((255, 80, 80), (80, 220, 80), (255, 200, 40), (220, 80, 220), (40, 220, 220))


def render(
    events: np.ndarray,
    sensor: SensorSize,
    result: Result | None = None,
    class_names: Sequence[str] = (),
) -> np.ndarray:
    """An RGB frame of ``events`` with ``result`` drawn on it."""
    frame = np.empty((sensor.height, sensor.width, 3), dtype=np.uint8)
    frame[:] = _BACKGROUND
    if len(events):
        on = events['p'] > 0
        frame[events['y'][~on], events['x'][~on]] = _OFF
        frame[events['y'][on], events['x'][on]] = _ON
    if result is None:
        return frame
    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image)
    if result.boxes is not None and result.scores is not None and result.labels is not None:
        for box, score, label in zip(result.boxes, result.scores, result.labels, strict=True):
            colour = _PALETTE[int(label) % len(_PALETTE)]
            x0, y0, x1, y1 = (float(v) for v in box)
            draw.rectangle((x0, y0, x1, y1), outline=colour, width=2)
            draw.text((x0 + 2, max(y0 - 11, 0)), f'{_name(class_names, label)} {score:.2f}',
                      fill=colour)  # fmt: skip
    elif result.probabilities is not None:
        best = int(np.argmax(result.probabilities))
        text = f'{_name(class_names, best)} {float(result.probabilities[best]):.2f}'
        draw.text((4, 4), text, fill=_PALETTE[best % len(_PALETTE)])
    return np.asarray(image)


def _name(class_names: Sequence[str], label: int) -> str:
    return class_names[int(label)] if int(label) < len(class_names) else str(int(label))


def save_png(frame: np.ndarray, path: str | Path) -> None:
    """Write one frame as PNG."""
    Image.fromarray(frame).save(path, format='PNG')


def save_gif(frames: Sequence[np.ndarray], path: str | Path, fps: float = 10.0) -> None:
    """Write frames as a looping GIF."""
    if not frames:
        raise ValueError('save_gif needs at least one frame')
    images = [Image.fromarray(f) for f in frames]
    images[0].save(
        path,
        format='GIF',
        save_all=True,
        append_images=images[1:],
        duration=max(int(1000 / fps), 20),
        loop=0,
    )
