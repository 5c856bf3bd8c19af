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


"""``asynet-replay``: run the detector over a recording and report what it did.

::

    asynet-replay BAG --out DIR [--checkpoint C] [--topic T] [--labels L.npy] [--gif]
    asynet-replay FILE.raw --out DIR [--width W --height H] [--packet-us 1000] ...
    asynet-replay BAG --out DIR --realtime [--compute-scale S] [--queue-size N] [--labels L.npy]

The recording is a rosbag2 bag or a Prophesee RAW (EVT 2.0, 2.1, 3.0) or DAT file, read by
:func:`asynet_ros.recording.open_recording` (a file's events in packets of ``--packet-us`` of
sensor time, as a driver's; ``--width/--height`` where its header gives no size).

Writes into ``DIR``:

* ``outputs/``: a rosbag2 (sqlite3, metadata version 8, readable by Humble and Jazzy) holding
  the results on ``/asynet/detections`` (``vision_msgs/Detection2DArray``) or
  ``/asynet/classification`` (``vision_msgs/Classification``), and ``/asynet/label_info``
  (``vision_msgs/LabelInfo``), stamped with the input's header time (with ``--realtime``,
  received at their availability);
* ``report.json``: ``events, updates, outputs, throughput_events_per_s, latency_ms_p50,
  latency_ms_p99, drops`` (every counter of dropped input), the counters, the update modes used,
  ``input`` (``kind, format, sensor, sensor_source, time_order, salvage``: what was read),
  ``evaluation`` (the mode, and the simulated queue of a real-time replay) and ``metrics`` when
  labels are given;
* ``frames/frame_NNNN.png`` (``--frames N`` evenly spaced annotated outputs) or ``replay.gif``.

Latency is the wall time from the start of processing the message that completes an output to
the output (decode, window, representation, engine, post-processing); throughput is events over
the total processing time. Labels: a Gen1 ``*_bbox.npy`` file whose ``t`` is sensor time in µs,
matched to the newest output at or before each label time; the report gives VOC mAP@0.5 and
COCO mAP.

``--realtime`` (latency-aware evaluation, as STARE: Chen, Chu et al., Nature Communications
2026): a simulated clock in sensor time where each update costs its measured wall time, times
``--compute-scale`` (hardware that many times slower); an update starts when the previous one
ends and takes every message that arrived meanwhile, through the live node's queue
(``--queue-size``, ``--drop-policy``). Sampling is continuous: no output rate, one update per
batch unless ``--update-every-events/-us`` give a policy. Each output is available at its input
time plus its compute time; ``metrics.latency_aware`` scores the newest output *available* at
each label time (``voc_map50, coco_map``, the age of the output used: ``age_ms_p50/p99``, and
``output_rate_hz``), and ``availability_ms_p50/p99`` give availability minus input stamp.
``x_real_time`` stays the wall-time speed of this replay.
"""

import importlib
from typing import Any

from asynet_tools.replay.cli import main

__all__ = ['OUTPUT_NAMES', 'ReplayError', 'ReplayReport', 'main', 'prepare_output', 'replay']

# The rest on first use: they import torch, and `asynet-replay --help` must answer at once.
_LAZY = {
    'OUTPUT_NAMES': 'output',
    'ReplayError': 'output',
    'prepare_output': 'output',
    'ReplayReport': 'report',
    'replay': 'run',
}


def __getattr__(name: str) -> Any:
    """The names of :data:`_LAZY`, imported from their module when first asked for."""
    if name in _LAZY:
        return getattr(importlib.import_module(f'{__name__}.{_LAZY[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
