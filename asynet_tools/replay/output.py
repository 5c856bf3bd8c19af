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

from pathlib import Path
import shutil

import numpy as np

from asynet_core.errors import AsynetError
from asynet_ros import visual
from asynet_ros.pipeline import Pipeline, Result

__all__ = ['OUTPUT_NAMES', 'Frames', 'ReplayError', 'prepare_output', 'write_frames']

#: What a replay writes into its output folder; ``--overwrite`` removes exactly these.
OUTPUT_NAMES = ('outputs', 'report.json', 'frames', 'replay.gif')


class ReplayError(AsynetError, ValueError):
    """The output folder cannot take this replay (not a folder, or it holds one already)."""


class Frames:
    """Keeps the annotated frames of ``count`` evenly spaced outputs."""

    def __init__(self, count: int, expected_outputs: int) -> None:
        self.every = max(expected_outputs // max(count, 1), 1)
        self.count = count
        self.frames: list[np.ndarray] = []

    def offer(self, index: int, pipeline: Pipeline, result: Result) -> None:
        """Keep a frame of output number ``index`` when it is one of the spaced ones."""
        if self.count <= 0 or len(self.frames) >= self.count or index % self.every:
            return
        sensor = pipeline.sensor
        if sensor is not None:
            events = pipeline.window_events()
            self.frames.append(visual.render(events, sensor, result, pipeline.class_names))


def prepare_output(out: Path, overwrite: bool) -> None:
    """Check (and with ``overwrite``, empty of a previous replay) the output folder.

    Raises:
        ReplayError: ``out`` is not a folder, or holds a replay and ``overwrite`` is false.
    """
    if out.exists() and not out.is_dir():
        raise ReplayError(f'--out {out} exists and is not a folder')
    found = [name for name in OUTPUT_NAMES if (out / name).exists() or (out / name).is_symlink()]
    if found and not overwrite:
        raise ReplayError(
            f'--out {out} holds a replay already ({", ".join(found)}); pass --overwrite to '
            'replace it, or choose another folder'
        )
    for name in found:
        path = out / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def write_frames(frames: list[np.ndarray], out: Path, gif: bool) -> None:
    """``out/replay.gif``, or ``out/frames/frame_NNNN.png``."""
    if not frames:
        return
    if gif:
        visual.save_gif(frames, out / 'replay.gif')
        return
    folder = out / 'frames'
    folder.mkdir(exist_ok=True)
    for i, frame in enumerate(frames):
        visual.save_png(frame, folder / f'frame_{i:04d}.png')
