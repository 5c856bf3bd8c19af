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

"""Output messages serialise with rosbags and carry what the results say."""

from __future__ import annotations

import numpy as np
import pytest

from asynet_ros import messages
from asynet_ros.interfaces import typestore
from asynet_ros.pipeline import Counters, Result

NAMES = ['circle', 'square']


@pytest.fixture(scope='module')
def ts() -> object:
    return typestore()


def _roundtrip(ts: object, msg: object, msgtype: str) -> object:
    raw = ts.serialize_cdr(msg, msgtype)  # type: ignore[attr-defined]
    return ts.deserialize_cdr(raw, msgtype)  # type: ignore[attr-defined]


def _detection() -> Result:
    return Result(
        stamp_ns=1_700_000_000_123_456_789,
        frame_id='cam',
        t_us=5,
        window_events=10,
        mode='async',
        compute_s=0.0,
        boxes=np.array([[10, 20, 50, 80], [0, 0, 4, 2]], dtype=np.float32),
        scores=np.array([0.9, 0.4], dtype=np.float32),
        labels=np.array([1, 0]),
    )


def test_detection_array(ts: object) -> None:
    f = messages.RosbagsFactory(ts)
    back = _roundtrip(
        ts, messages.detection_array(f, _detection(), NAMES), messages.DETECTION_ARRAY
    )
    assert back.header.stamp.sec == 1_700_000_000
    assert back.header.stamp.nanosec == 123_456_789
    assert back.header.frame_id == 'cam'
    first = back.detections[0]
    assert (first.bbox.center.position.x, first.bbox.center.position.y) == (30.0, 50.0)
    assert (first.bbox.size_x, first.bbox.size_y) == (40.0, 60.0)
    assert first.results[0].hypothesis.class_id == 'square'
    assert first.results[0].hypothesis.score == pytest.approx(0.9)
    assert first.results[0].pose.pose.orientation.w == 1.0
    assert [d.id for d in back.detections] == ['0', '1']


def test_classification_sorted_by_probability(ts: object) -> None:
    f = messages.RosbagsFactory(ts)
    result = Result(0, 'cam', 0, 1, 'async', 0.0, probabilities=np.array([0.2, 0.8], np.float32))
    back = _roundtrip(ts, messages.classification(f, result, NAMES), messages.CLASSIFICATION)
    assert [r.class_id for r in back.results] == ['square', 'circle']
    with pytest.raises(ValueError, match='needs a classification result'):
        messages.classification(f, _detection(), NAMES)
    with pytest.raises(ValueError, match='needs a detection result'):
        messages.detection_array(f, result, NAMES)


def test_label_info_image_and_diagnostics(ts: object) -> None:
    f = messages.RosbagsFactory(ts)
    info = _roundtrip(ts, messages.label_info(f, NAMES, 0.3, 5, 'cam'), messages.LABEL_INFO)
    assert [(c.class_id, c.class_name) for c in info.class_map] == [(0, 'circle'), (1, 'square')]
    assert info.threshold == pytest.approx(0.3)
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    img = _roundtrip(ts, messages.image(f, rgb, 5, 'cam'), messages.IMAGE)
    assert (img.height, img.width, img.step, img.encoding) == (2, 3, 9, 'rgb8')
    np.testing.assert_array_equal(img.data, rgb.reshape(-1))
    with pytest.raises(ValueError, match=r'\[H, W, 3\] uint8'):
        messages.image(f, rgb[..., 0], 5, 'cam')
    counters = Counters(messages=3, decode_errors=1)
    diag = _roundtrip(ts, messages.diagnostics(f, 'det', counters, 5), messages.DIAGNOSTIC_ARRAY)
    status = diag.status[0]
    assert status.level == 1
    assert status.message == 'input dropped or stream reset (see counters)'
    assert {kv.key: kv.value for kv in status.values}['decode_errors'] == '1'


def test_event_packet(ts: object) -> None:
    f = messages.RosbagsFactory(ts)
    msg = messages.event_packet(f, 3 * 10**9 + 7, 'cam', (640, 480), 'evt3', b'\x01\x02', seq=9)
    back = _roundtrip(ts, msg, messages.EVENT_PACKET)
    assert (back.width, back.height, back.encoding, back.seq) == (640, 480, 'evt3', 9)
    assert (back.header.stamp.sec, back.header.stamp.nanosec) == (3, 7)
    assert bytes(back.events) == b'\x01\x02'
