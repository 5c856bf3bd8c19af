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

"""``asynet-events synth``: a rosbag2 of moving shapes (evt3 ``EventPacket``) with their labels.

See :mod:`asynet_tools.events`; imports numpy and rosbags only when called.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ['MAX_SYNTH_SECONDS', 'write_synthetic_bag']

_SEGMENT_US = 200_000
_SEGMENT_EVENTS = 20_000
_LABEL_EVERY_US = 50_000
MAX_SYNTH_SECONDS = 3600.0  # an hour of synthetic events: about 100 M events, 1 GB of bag


def write_synthetic_bag(
    out: str | Path,
    *,
    seconds: float = 2.0,
    seed: int = 0,
    storage: str = 'sqlite3',
    packet_us: int = 1000,
    topic: str = '/event_camera/events',
    frame_id: str = 'event_camera',
) -> dict[str, Any]:
    """Write the synthetic evt3 bag and its labels; return a summary.

    Raises:
        ValueError: a duration outside (0, MAX_SYNTH_SECONDS], a packet length outside [1,
            MAX_PACKET_US], or an unknown storage.
        FileExistsError: ``out`` exists.
    """
    import numpy as np
    from rosbags.rosbag2 import StoragePlugin, Writer

    from asynet_core.events import concatenate_events, SensorSize
    from asynet_ros import messages
    from asynet_ros.encoders import Evt3Encoder
    from asynet_ros.interfaces import typestore
    from asynet_ros.recording import MAX_PACKET_US
    from asynet_training.formats import BBOX_DTYPE, write_gen1_bbox
    from asynet_training.synthetic.shapes import make_detection_sample, SHAPE_CLASSES

    if not 0 < seconds <= MAX_SYNTH_SECONDS or not 1 <= packet_us <= MAX_PACKET_US:
        raise ValueError(
            f'seconds must be in (0, {MAX_SYNTH_SECONDS}] and packet_us in [1, {MAX_PACKET_US}], '
            f'got {seconds}, {packet_us}'
        )
    plugins = {'sqlite3': StoragePlugin.SQLITE3, 'mcap': StoragePlugin.MCAP}
    if storage not in plugins:
        raise ValueError(f'unknown storage {storage!r}; valid: {sorted(plugins)}')
    out = Path(out)
    if out.exists():
        raise FileExistsError(f'{out} exists')
    sensor = SensorSize(304, 240)
    rng = np.random.default_rng(seed)
    shape_ids = [SHAPE_CLASSES.index('circle'), SHAPE_CLASSES.index('square')]
    chunks, labels = [], []
    label_times = _LABEL_EVERY_US * np.arange(1, _SEGMENT_US // _LABEL_EVERY_US + 1)
    for k in range(max(round(seconds * 1e6 / _SEGMENT_US), 1)):
        picks = rng.integers(0, 2, size=2)
        events, boxes = make_detection_sample(
            sensor, 2, _SEGMENT_EVENTS, label_times, rng, class_ids=[shape_ids[i] for i in picks]
        )
        offset = k * _SEGMENT_US
        events['t'] += offset
        boxes['t'] += offset
        boxes['class_id'] = [shape_ids.index(c) for c in boxes['class_id']]
        chunks.append(events)
        labels.append(boxes)
    events = concatenate_events(chunks)
    ts = typestore()
    msgtype = messages.EVENT_PACKET
    encoder = Evt3Encoder()
    factory = messages.RosbagsFactory(ts)
    start_ns = 1_700_000_000 * 10**9
    edges = np.arange(0, int(events['t'][-1]) + packet_us + 1, packet_us)
    cuts = np.searchsorted(events['t'], edges[1:], side='left')
    out.parent.mkdir(parents=True, exist_ok=True)
    with Writer(out, version=8, storage_plugin=plugins[storage]) as writer:
        conn = writer.add_connection(topic, msgtype, typestore=ts)
        lo = 0
        for seq, hi in enumerate(cuts):
            part = events[lo:hi]
            lo = hi
            if not len(part):
                continue
            stamp = start_ns + int(part['t'][0]) * 1000
            size = (sensor.width, sensor.height)
            msg = messages.event_packet(
                factory, stamp, frame_id, size, 'evt3', encoder.encode(part), seq=seq
            )
            writer.write(conn, stamp, bytes(ts.serialize_cdr(msg, msgtype)))
    all_labels = np.concatenate(labels).astype(BBOX_DTYPE)
    write_gen1_bbox(out / 'labels_bbox.npy', all_labels)
    return {
        'bag': str(out),
        'events': len(events),
        'labels': len(all_labels),
        'seconds': float(events['t'][-1]) / 1e6,
        'classes': ['circle', 'square'],
    }
