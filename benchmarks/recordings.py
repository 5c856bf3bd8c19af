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

"""Real recordings as one event array: rosbag2 bags, Prophesee RAW (EVT 2.0/2.1/3.0) and DAT.

For benchmarks and tests that replay a real recording through the engine (``t`` in µs)::

    events, sensor = load_recording('../shared/data/bags/metavision_evt3')
    looped = loop_events(events, 1_000_000)  # the recording again and again, times continuing

Bags are read by :class:`asynet_ros.bag.EventBag` and the packet decoders, event files by
:mod:`asynet_core.recordings` (the readers of ``asynet-events stats`` and ``asynet-replay``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from asynet_core.events import concatenate_events, SensorSize

__all__ = ['iter_looped', 'load_recording', 'loop_events']


def load_recording(
    path: str | Path, sensor: SensorSize | None = None
) -> tuple[np.ndarray, SensorSize]:
    """Every event of a recording, time-sorted, and its sensor size.

    Args:
        path: a rosbag2 folder (or its ``.db3`` / ``.mcap``), a ``.raw`` or ``.dat`` file.
        sensor: the sensor size where the file does not say it (a RAW file without a size line;
            a DAT file without a geometry header, which otherwise gets the smallest sensor
            holding every event).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        BagError / EventFileError: a bad bag or event file.
        ValueError: a recording without events.
    """
    from asynet_ros.recording import is_bag_path

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f'{p} does not exist')
    if is_bag_path(p):
        events, found = _bag_events(p)
    else:
        from asynet_core.recordings import read_event_file

        events, info, _ = read_event_file(p, sensor)
        found = info.sensor
    if not len(events):
        raise ValueError(f'{p}: the recording holds no events')
    if found is None:
        found = sensor or SensorSize(int(events['x'].max()) + 1, int(events['y'].max()) + 1)
    order = np.argsort(events['t'], kind='stable')
    return events[order], found


def _bag_events(path: Path) -> tuple[np.ndarray, SensorSize | None]:
    from asynet_ros.bag import EventBag
    from asynet_ros.decoders import make_decoder

    chunks, sensor, decoders = [], None, {}
    with EventBag(path) as bag:
        for _, msg in bag.event_messages():
            sensor = SensorSize(msg.width, msg.height)
            if msg.events is not None:
                chunks.append(msg.events)
                continue
            decoder = decoders.setdefault(msg.encoding, make_decoder(msg.encoding))
            chunks.append(decoder.decode(msg.payload, msg.width, msg.height, msg.time_base_ns))
    return concatenate_events(chunks), sensor


def iter_looped(events: np.ndarray, total: int) -> Iterator[np.ndarray]:
    """``total`` events, one repeat of ``events`` at a time, each starting 1 µs after the last."""
    if not len(events):
        raise ValueError('no events to loop')
    span = int(events['t'][-1]) - int(events['t'][0]) + 1
    n, repeat = 0, 0
    while n < total:
        part = events[: total - n].copy()
        part['t'] += repeat * span
        yield part
        n, repeat = n + len(part), repeat + 1


def loop_events(events: np.ndarray, total: int) -> np.ndarray:
    """``total`` events: ``events`` repeated (see :func:`iter_looped`), as one array."""
    return concatenate_events(list(iter_looped(events, total)))
