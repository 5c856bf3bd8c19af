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

"""What a live detector publishes for each result, shared by the rclpy node and DDS detect.

Each function returns ``(key, type name, message)`` tuples; ``key`` is ``out`` (detections or
classification), ``labels``, ``image`` or ``diag``. The messages come from a
:class:`~asynet_ros.messages.MessageFactory`, so transports only serialise and send them.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TYPE_CHECKING

from asynet_ros import messages, visual
from asynet_ros.pipeline import Result

if TYPE_CHECKING:  # the pipeline imports torch: not at import time
    from asynet_ros.pipeline import Pipeline

__all__ = ['OUTPUT_TOPICS', 'diagnostics', 'label_info', 'node_publishers', 'result_outputs']

#: Topic (relative to the node) of each output key, by task for ``out``.
OUTPUT_TOPICS = {
    'detection': 'detections',
    'classification': 'classification',
    'labels': 'label_info',
    'image': 'debug_image',
    'diag': '/diagnostics',
}

Output = tuple[str, str, Any]


def node_publishers(task: str) -> dict[str, tuple[str, str, str]]:
    """Output key -> (message type, topic, QoS kind: ``default``, ``latched`` or ``sensor``)."""
    return {
        'out': (messages.output_type(task), f'~/{OUTPUT_TOPICS[task]}', 'default'),
        'labels': (messages.LABEL_INFO, f'~/{OUTPUT_TOPICS["labels"]}', 'latched'),
        'image': (messages.IMAGE, f'~/{OUTPUT_TOPICS["image"]}', 'sensor'),
        'diag': (messages.DIAGNOSTIC_ARRAY, OUTPUT_TOPICS['diag'], 'default'),
    }


def result_outputs(
    f: messages.MessageFactory,
    pipeline: Pipeline,
    result: Result,
    *,
    frame_id: str = '',
    debug_image: bool = False,
) -> list[Output]:
    """The result message, and the debug image when asked for."""
    if frame_id:
        result = dataclasses.replace(result, frame_id=frame_id)
    out_type = messages.output_type(pipeline.task)
    outputs = [('out', out_type, messages.result_message(f, result, pipeline.class_names))]
    if debug_image and pipeline.sensor is not None:
        frame = visual.render(
            pipeline.window_events(), pipeline.sensor, result, pipeline.class_names
        )
        image = messages.image(f, frame, result.stamp_ns, result.frame_id)
        outputs.append(('image', messages.IMAGE, image))
    return outputs


def label_info(
    f: messages.MessageFactory, pipeline: Pipeline, stamp_ns: int, frame_id: str
) -> Output:
    """The class map and threshold, sent once per activation (transient local)."""
    msg = messages.label_info(
        f, pipeline.class_names, pipeline.config.score_threshold, stamp_ns, frame_id
    )
    return 'labels', messages.LABEL_INFO, msg


def diagnostics(
    f: messages.MessageFactory, name: str, pipeline: Pipeline, stats: Any, stamp_ns: int
) -> Output:
    """The pipeline counters and the live queue statistics."""
    extra = dataclasses.asdict(stats) if dataclasses.is_dataclass(stats) else dict(stats or {})
    msg = messages.diagnostics(f, name, pipeline.counters, stamp_ns, extra)
    return 'diag', messages.DIAGNOSTIC_ARRAY, msg
