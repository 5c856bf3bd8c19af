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

"""Output messages built from pipeline results, for every transport from one code path.

The builders take a :class:`MessageFactory`, which makes message objects by type name: the
rosbags typestore's classes (:class:`RosbagsFactory`, for rosbag2 files and Cyclone DDS) or the
rclpy interface classes (in the node). Both accept every field as a keyword, so one builder serves
both; the factory also adapts the two field kinds whose Python types differ (``byte`` and
``uint8[]``).

Conventions: ``Detection2D.bbox`` is centre + size in sensor pixels; ``ObjectHypothesis.class_id``
is the class name (vision_msgs 4: a string), the index -> name map being published once in
``LabelInfo``; ``ObjectHypothesis.score`` is the calibrated detection score or the softmax
probability. The pose of a 2D detection is left at identity with zero covariance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from asynet_ros.pipeline import Counters, Result

__all__ = [
    'CLASSIFICATION',
    'DETECTION_ARRAY',
    'DIAGNOSTIC_ARRAY',
    'EVENT_PACKET',
    'IMAGE',
    'LABEL_INFO',
    'MessageFactory',
    'RosbagsFactory',
    'classification',
    'detection_array',
    'diagnostics',
    'event_packet',
    'header',
    'image',
    'label_info',
    'output_type',
    'result_message',
]

DETECTION_ARRAY = 'vision_msgs/msg/Detection2DArray'
CLASSIFICATION = 'vision_msgs/msg/Classification'
LABEL_INFO = 'vision_msgs/msg/LabelInfo'
IMAGE = 'sensor_msgs/msg/Image'
DIAGNOSTIC_ARRAY = 'diagnostic_msgs/msg/DiagnosticArray'

_NS = 1_000_000_000


class MessageFactory(Protocol):
    """Makes message objects of one Python binding."""

    def make(self, msgtype: str, /, **fields: Any) -> Any:
        """A message of type ``msgtype`` (``pkg/msg/Type``) with every field given."""

    def byte(self, value: int) -> Any:
        """A ``byte`` field value."""

    def uint8_array(self, data: np.ndarray) -> Any:
        """A ``uint8[]`` field value from a ``uint8`` array."""


class RosbagsFactory:
    """Messages of a rosbags typestore (serialise them with ``typestore.serialize_cdr``)."""

    def __init__(self, typestore: Any) -> None:
        self.typestore = typestore

    def make(self, msgtype: str, /, **fields: Any) -> Any:
        """A message of type ``msgtype``."""
        return self.typestore.types[msgtype](**fields)

    def byte(self, value: int) -> Any:
        """The value as an int (how rosbags holds ``byte``)."""
        return int(value)

    def uint8_array(self, data: np.ndarray) -> Any:
        """The data as a flat uint8 numpy array (how rosbags holds ``uint8[]``)."""
        return np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)


EVENT_PACKET = 'event_camera_msgs/msg/EventPacket'


def event_packet(
    f: MessageFactory,
    stamp_ns: int,
    frame_id: str,
    size: tuple[int, int],
    encoding: str,
    payload: bytes | np.ndarray,
    *,
    seq: int = 0,
    time_base_ns: int = 0,
) -> Any:
    """``event_camera_msgs/EventPacket`` of an encoded payload; ``size`` is (width, height)."""
    data = np.frombuffer(payload, dtype=np.uint8) if isinstance(payload, bytes) else payload
    return f.make(
        EVENT_PACKET,
        header=header(f, stamp_ns, frame_id),
        height=size[1],
        width=size[0],
        seq=seq,
        time_base=time_base_ns,
        encoding=encoding,
        is_bigendian=False,
        events=f.uint8_array(data),
    )


def output_type(task: str) -> str:
    """The message type a model's results go out as."""
    return DETECTION_ARRAY if task == 'detection' else CLASSIFICATION


def header(f: MessageFactory, stamp_ns: int, frame_id: str) -> Any:
    """``std_msgs/Header``."""
    sec, nanosec = divmod(int(stamp_ns), _NS)
    stamp = f.make('builtin_interfaces/msg/Time', sec=sec, nanosec=nanosec)
    return f.make('std_msgs/msg/Header', stamp=stamp, frame_id=frame_id)


def _hypothesis(f: MessageFactory, class_id: str, score: float) -> Any:
    return f.make('vision_msgs/msg/ObjectHypothesis', class_id=class_id, score=float(score))


def _identity_pose(f: MessageFactory) -> Any:
    point = f.make('geometry_msgs/msg/Point', x=0.0, y=0.0, z=0.0)
    quat = f.make('geometry_msgs/msg/Quaternion', x=0.0, y=0.0, z=0.0, w=1.0)
    pose = f.make('geometry_msgs/msg/Pose', position=point, orientation=quat)
    return f.make(
        'geometry_msgs/msg/PoseWithCovariance', pose=pose, covariance=np.zeros(36, np.float64)
    )


def _bbox(f: MessageFactory, box: np.ndarray) -> Any:
    x0, y0, x1, y1 = (float(v) for v in box)
    centre = f.make('vision_msgs/msg/Point2D', x=(x0 + x1) / 2, y=(y0 + y1) / 2)
    pose = f.make('vision_msgs/msg/Pose2D', position=centre, theta=0.0)
    return f.make('vision_msgs/msg/BoundingBox2D', center=pose, size_x=x1 - x0, size_y=y1 - y0)


def detection_array(f: MessageFactory, result: Result, class_names: Sequence[str]) -> Any:
    """``vision_msgs/Detection2DArray`` of a detection result."""
    if result.boxes is None or result.scores is None or result.labels is None:
        raise ValueError('detection_array needs a detection result (boxes, scores, labels)')
    head = header(f, result.stamp_ns, result.frame_id)
    detections = []
    for i, (box, score, label) in enumerate(
        zip(result.boxes, result.scores, result.labels, strict=True)
    ):
        hyp = f.make(
            'vision_msgs/msg/ObjectHypothesisWithPose',
            hypothesis=_hypothesis(f, class_names[int(label)], float(score)),
            pose=_identity_pose(f),
        )
        detections.append(
            f.make(
                'vision_msgs/msg/Detection2D',
                header=head,
                results=[hyp],
                bbox=_bbox(f, box),
                id=str(i),
            )
        )
    return f.make(DETECTION_ARRAY, header=head, detections=detections)


def classification(f: MessageFactory, result: Result, class_names: Sequence[str]) -> Any:
    """``vision_msgs/Classification``: every class with its probability, most likely first."""
    if result.probabilities is None:
        raise ValueError('classification needs a classification result (probabilities)')
    order = np.argsort(-result.probabilities, kind='stable')
    results = [_hypothesis(f, class_names[i], float(result.probabilities[i])) for i in order]
    return f.make(
        CLASSIFICATION, header=header(f, result.stamp_ns, result.frame_id), results=results
    )


def result_message(f: MessageFactory, result: Result, class_names: Sequence[str]) -> Any:
    """The output message of ``result`` (detection array or classification)."""
    if result.probabilities is not None:
        return classification(f, result, class_names)
    return detection_array(f, result, class_names)


def label_info(
    f: MessageFactory, class_names: Sequence[str], threshold: float, stamp_ns: int, frame_id: str
) -> Any:
    """``vision_msgs/LabelInfo``: class index -> name, and the score threshold."""
    classes = [
        f.make('vision_msgs/msg/VisionClass', class_id=i, class_name=name)
        for i, name in enumerate(class_names)
    ]
    return f.make(
        LABEL_INFO,
        header=header(f, stamp_ns, frame_id),
        class_map=classes,
        threshold=float(threshold),
    )


def image(f: MessageFactory, rgb: np.ndarray, stamp_ns: int, frame_id: str) -> Any:
    """``sensor_msgs/Image`` (``rgb8``) of an ``[H, W, 3]`` uint8 frame."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f'image needs an [H, W, 3] uint8 array, got {rgb.dtype} {rgb.shape}')
    h, w, _ = rgb.shape
    return f.make(
        IMAGE,
        header=header(f, stamp_ns, frame_id),
        height=h,
        width=w,
        encoding='rgb8',
        is_bigendian=0,
        step=3 * w,
        data=f.uint8_array(rgb),
    )


def diagnostics(
    f: MessageFactory,
    name: str,
    counters: Counters,
    stamp_ns: int,
    extra: dict[str, Any] | None = None,
    hardware_id: str = '',
) -> Any:
    """``diagnostic_msgs/DiagnosticArray`` with one status: the counters and ``extra`` values.

    WARN when input was dropped or lost (decoding, size, range, a full queue, a ``seq`` gap, an
    undeserialisable message), a worker error happened or the stream was reset by time going
    back; the counts are cumulative.
    """
    values = {**counters.to_dict(), **(extra or {})}
    problems = ('decode_errors', 'unknown_encoding', 'bad_sensor_size', 'dropped_out_of_range',
                'time_resets', 'dropped_queue_full', 'errors', 'lost_messages',
                'undecodable_messages')  # fmt: skip
    warn = any(int(values.get(key, 0) or 0) for key in problems)
    level, text = (1, 'input dropped or stream reset (see counters)') if warn else (0, 'ok')
    pairs = [
        f.make('diagnostic_msgs/msg/KeyValue', key=str(k), value=str(v)) for k, v in values.items()
    ]
    status = f.make(
        'diagnostic_msgs/msg/DiagnosticStatus',
        level=f.byte(level),
        name=name,
        message=text,
        hardware_id=hardware_id,
        values=pairs,
    )
    return f.make(DIAGNOSTIC_ARRAY, header=header(f, stamp_ns, ''), status=[status])
