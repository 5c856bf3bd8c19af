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

"""The replay's output folder: refusal or ``--overwrite``, atomic JSON, annotated frames."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from rosbags.interfaces import (
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)

from asynet_core.cli import existing_outputs, remove_outputs
from asynet_core.errors import AsynetError
from asynet_ros import visual
from asynet_ros.pipeline import Pipeline, Result

__all__ = [
    'DEFER_MAX_EVENTS',
    'OUTPUT_NAMES',
    'Frames',
    'ReplayError',
    'output_qos',
    'prepare_output',
    'write_frames',
]

#: What a replay writes into its output folder; ``--overwrite`` removes exactly these.
OUTPUT_NAMES = ('outputs', 'report.json', 'frames', 'replay.gif')


class ReplayError(AsynetError, ValueError):
    """The output folder cannot take this replay (not a folder, or it holds one already)."""


#: A window of at most this many events is kept to be rendered at the end (16 bytes each); a
#: larger one is rendered at once, so the frames held stay within about 2 x count x 4 MiB.
DEFER_MAX_EVENTS = 1 << 18


class Frames:
    """Annotated frames of ``count`` outputs evenly spaced over the outputs actually produced.

    The number of outputs is not known in advance (the update policy decides it), so every
    ``stride``-th output is kept, and when ``2 * count`` are held every other one is dropped and
    the stride doubles: at most ``2 * count`` are held. A kept output holds its window's events
    and is rendered only if it is among the frames written (``count`` renders, not one per
    kept output: a render costs about half an update), unless its window is larger than
    :data:`DEFER_MAX_EVENTS`, which is rendered at once.

    Args:
        count: frames wanted (0: none).
        truth: the ground-truth boxes (xyxy, sensor pixels) to draw at a sensor time, if any.
    """

    def __init__(
        self, count: int, truth: Callable[[int], np.ndarray | None] | None = None
    ) -> None:
        self.count = count
        self.truth = truth
        self.stride = 1
        self.kept: list[tuple[int, Callable[[], np.ndarray]]] = []  # (sensor time µs, frame)

    def offer(self, index: int, pipeline: Pipeline, result: Result) -> None:
        """Keep output number ``index`` when it falls on the stride."""
        sensor = pipeline.sensor
        if self.count <= 0 or index % self.stride or sensor is None:
            return
        truth = None if self.truth is None else self.truth(result.t_us)
        events, names = pipeline.window_events(), pipeline.class_names  # a copy

        def draw() -> np.ndarray:
            return visual.render(events, sensor, result, names, truth_boxes=truth)

        if len(events) > DEFER_MAX_EVENTS:
            frame = draw()
            self.kept.append((result.t_us, lambda: frame))
        else:
            self.kept.append((result.t_us, draw))
        if len(self.kept) >= 2 * self.count:
            self.kept = self.kept[::2]
            self.stride *= 2

    def render(self) -> list[tuple[int, np.ndarray]]:
        """At most ``count`` (time µs, frame) of the kept, evenly spaced, first and last in."""
        picks = list(range(len(self.kept)))
        if len(self.kept) > self.count:
            spaced = np.linspace(0, len(self.kept) - 1, self.count).round().astype(int)
            picks = [int(i) for i in np.unique(spaced)]
        return [(self.kept[i][0], self.kept[i][1]()) for i in picks]


def prepare_output(out: Path, overwrite: bool) -> None:
    """Check (and with ``overwrite``, empty of a previous replay) the output folder.

    Raises:
        ReplayError: ``out`` is not a folder, or holds a replay and ``overwrite`` is false.
    """
    if out.exists() and not out.is_dir():
        raise ReplayError(f'--out {out} exists and is not a folder')
    found = existing_outputs(out, OUTPUT_NAMES)
    if found and not overwrite:
        raise ReplayError(
            f'--out {out} holds a replay already ({", ".join(found)}); pass --overwrite to '
            'replace it, or choose another folder'
        )
    remove_outputs(out, found)
    out.mkdir(parents=True, exist_ok=True)


def write_frames(frames: list[tuple[int, np.ndarray]], out: Path, gif: bool) -> None:
    """``out/replay.gif`` (frames at their sensor-time pace), or ``out/frames/frame_NNNN.png``."""
    if not frames:
        return
    if gif:
        times_ms = np.array([t for t, _ in frames], dtype=np.float64) / 1e3
        gaps = np.diff(times_ms, append=times_ms[-1] + (times_ms[-1] - times_ms[0]) / len(frames))
        visual.save_gif([f for _, f in frames], out / 'replay.gif', durations_ms=gaps)
        return
    folder = out / 'frames'
    folder.mkdir(exist_ok=True)
    for i, (_, frame) in enumerate(frames):
        visual.save_png(frame, folder / f'frame_{i:04d}.png')


def output_qos(*, latched: bool) -> Qos:
    """The offered QoS of an output topic: reliable; latched (depth 1) or volatile (depth 10)."""
    zero = QosTime(0, 0)
    return Qos(
        QosHistory.KEEP_LAST,
        1 if latched else 10,
        QosReliability.RELIABLE,
        QosDurability.TRANSIENT_LOCAL if latched else QosDurability.VOLATILE,
        zero,
        zero,
        QosLiveliness.AUTOMATIC,
        zero,
        False,
    )
