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


"""Writers: the Gen1 recording in one file, or one sample file per window (ncars, ncaltech101).

:class:`_Gen1Sink` holds the recording until the end; :class:`_SampleSink` writes each window
that :class:`_Windower` cuts (``--window-us`` / ``--window-events``) as it completes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import Any, Protocol

import numpy as np

from asynet_core.events import concatenate_events, empty_events, SensorSize
from asynet_core.recordings import TimeOrder
from asynet_tools.bag2dataset.config import ConvertConfig
from asynet_tools.bag2dataset.errors import Bag2DatasetError
from asynet_tools.bag2dataset.labels import label_boxes, LabelRow
from asynet_training import formats


@dataclass
class _Stream:
    """What the conversion has seen of the event input."""

    topic: str
    input_sensor: SensorSize | None = None  # as recorded
    sensor: SensorSize | None = None  # after the geometry options: what is written
    encoding: str = ''
    messages: int = 0
    events_read: int = 0
    events: int = 0  # written
    clock: list[tuple[int, int]] = field(default_factory=list)  # (stamp ns, first event t µs)
    time_order: TimeOrder = field(default_factory=TimeOrder)  # of the events read


@dataclass(frozen=True)
class _LabelPlan:
    """Label rows with their resolved class indices (gen1)."""

    rows: list[LabelRow]
    classes: np.ndarray


class _Sink(Protocol):
    """A writer: events as they come (already mapped through the geometry), then the end."""

    def add_events(self, events: np.ndarray, sensor: SensorSize) -> None: ...

    def finish(self, stream: _Stream, sensor: SensorSize) -> dict[str, Any]: ...


class _Gen1Sink:
    """Collects the recording in memory and writes it (and its labels) at the end."""

    def __init__(self, config: ConvertConfig, stem: str, labels: _LabelPlan | None) -> None:
        folder = config.out / (config.split or 'train')
        self.td, self.bbox = folder / f'{stem}_td.dat', folder / f'{stem}_bbox.npy'
        self.config, self.labels = config, labels
        for path in (self.td, self.bbox):
            if path.exists() and not config.overwrite:
                raise Bag2DatasetError(f'{path} exists; pass --overwrite to replace it')
        self.chunks: list[np.ndarray] = []

    def add_events(self, events: np.ndarray, sensor: SensorSize) -> None:
        self.chunks.append(events)

    def finish(self, stream: _Stream, sensor: SensorSize) -> dict[str, Any]:
        events = concatenate_events(self.chunks)
        t0 = int(events['t'].min())
        events['t'] -= t0
        self.td.parent.mkdir(parents=True, exist_ok=True)
        formats.write_dat(self.td, events, sensor.width, sensor.height)
        out: dict[str, Any] = {'files': [str(self.td)], 'samples': 1, 't0_us': t0}
        if self.labels is None:
            self.bbox.unlink(missing_ok=True)  # a stale box file would pair with new events
            return out
        input_sensor = stream.input_sensor or sensor
        boxes, early, outside = label_boxes(self.labels.rows, self.labels.classes, stream.clock,
                                            t0, self.config.geometry, input_sensor)  # fmt: skip
        formats.write_gen1_bbox(self.bbox, boxes)
        out['files'].append(str(self.bbox))
        return {**out, 'labels': len(boxes), 'labels_dropped': early,
                'labels_outside_geometry': outside}  # fmt: skip


class _Windower:
    """Cuts a stream into consecutive windows of N events, or of W µs from the first event."""

    def __init__(self, kind: str, length: int) -> None:
        self.kind, self.length = kind, length
        self.pending = empty_events()
        self.origin: int | None = None

    def push(self, events: np.ndarray) -> list[np.ndarray]:
        """The windows that ``events`` completes."""
        pending = concatenate_events([self.pending, events])
        if not len(pending):
            return []
        if self.kind == 'events':
            n = len(pending) // self.length * self.length
            self.pending = pending[n:].copy()
            return [pending[i : i + self.length] for i in range(0, n, self.length)]
        if self.origin is None:
            self.origin = int(pending['t'][0])
        k = (pending['t'] - self.origin) // self.length  # window index of each event
        pieces = np.split(pending, np.flatnonzero(np.diff(k)) + 1)
        self.pending = pieces[-1].copy()
        return pieces[:-1]

    def flush(self) -> list[np.ndarray]:
        """The last, incomplete window (if it has events)."""
        rest, self.pending = self.pending, empty_events()
        return [rest] if len(rest) else []


class _SampleSink:
    """Writes each window as one sample file of a class folder (ncars, ncaltech101)."""

    def __init__(self, config: ConvertConfig, stem: str, labels: _LabelPlan | None) -> None:
        if config.fmt == 'ncars':
            self.folder = config.out / f'n-cars_{config.split or "train"}' / str(config.class_name)
            self.name, pattern, start = 'obj_{:06d}_td.dat', r'obj_(\d+)_td\.dat', 0
        else:
            self.folder = config.out / 'Caltech101' / str(config.class_name)
            self.name, pattern, start = 'image_{:04d}.bin', r'image_(\d+)\.bin', 1
        found = [re.fullmatch(pattern, p.name) for p in self.folder.glob('*')]
        numbers = [int(m.group(1)) for m in found if m]
        self.next = max(numbers) + 1 if numbers else start
        self.config = config
        self.windower = _Windower(*config.window())
        self.files: list[str] = []

    def add_events(self, events: np.ndarray, sensor: SensorSize) -> None:
        for window in self.windower.push(events):
            self._write(window, sensor)

    def _write(self, window: np.ndarray, sensor: SensorSize) -> None:
        sample = window.copy()
        sample['t'] -= sample['t'].min()
        path = self.folder / self.name.format(self.next)
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.config.fmt == 'ncars':
            formats.write_dat(path, sample, sensor.width, sensor.height)
        else:
            formats.write_ncaltech_bin(path, sample)
        self.files.append(str(path))
        self.next += 1

    def finish(self, stream: _Stream, sensor: SensorSize) -> dict[str, Any]:
        for window in self.windower.flush():
            self._write(window, sensor)
        kind, length = self.config.window()
        return {'files': self.files, 'samples': len(self.files), f'window_{kind}': length}
