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

"""Output messages serialise with rosbags and carry what the results say; parameters check."""

from __future__ import annotations

from pathlib import Path
import re

import numpy as np
import pytest
import yaml

from asynet_ros import messages, params
from asynet_ros.interfaces import typestore
from asynet_ros.pipeline import Counters, PipelineConfig, Result

ROOT = Path(__file__).resolve().parents[1]
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


# -- parameters ---------------------------------------------------------------------------------


def test_detector_yaml_lists_every_parameter_with_a_valid_value() -> None:
    data = yaml.safe_load((ROOT / 'config' / 'detector.yaml').read_text(encoding='utf-8'))
    values = data['/**/asynet_detector']['ros__parameters']
    assert sorted(values) == sorted(params.defaults())
    for name, value in values.items():
        assert params.check(name, value) is None, name
    assert values == params.defaults()


@pytest.mark.parametrize(
    ('name', 'value', 'reason'),
    [
        ('score_threshold', 1.5, r'score_threshold must be in \[0, 1\], got 1.5'),
        ('mode', 'eager', "mode must be one of \\['async', 'recompute', 'adaptive'\\]"),
        ('queue_size', 0, 'queue_size must be >= 1, got 0'),
        ('window_events', 'many', 'window_events must be of type int, got str'),
        ('debug_image', 1, 'debug_image must be of type bool, got int'),
        ('message_type', 'x/msg/Y', 'message_type must be one of'),
        ('nope', 1, "unknown parameter 'nope'"),
    ],
)
def test_parameter_checks_give_reasons(name: str, value: object, reason: str) -> None:
    got = params.check(name, value)
    assert got is not None
    assert re.search(reason, got), got


def test_pipeline_config_from_parameters() -> None:
    values = params.defaults()
    config = params.pipeline_config(values, (5000, None))
    assert config == PipelineConfig(window_events=5000)
    values.update(window_us=20_000, update_every_events=100, mode='async')
    config = params.pipeline_config(values, (5000, None))
    assert (config.window_events, config.window_us) == (None, 20_000)
    assert config.update_every_events == 100
    assert config.mode == 'async'


@pytest.mark.parametrize('prog', ['asynet_ros.cli.detect', 'asynet_tools.replay'])
def test_every_front_end_takes_every_pipeline_parameter_from_the_table(prog: str) -> None:
    import argparse
    import importlib

    parser: argparse.ArgumentParser = importlib.import_module(prog)._parser()
    flags = {a.dest: a for a in parser._actions}
    for name in params.PIPELINE_OPTIONS:  # device included
        assert name in flags, (prog, name)
        assert flags[name].default == params.defaults()[name], (prog, name)
    argv = ['x'] if prog.endswith('replay') else []
    argv += ['--out', 'o'] if prog.endswith('replay') else []
    args = parser.parse_args([*argv, '--device', 'cpu', '--score-threshold', '0.4'])
    values = params.option_values(args)
    assert values['score_threshold'] == 0.4
    assert values == {**{n: params.defaults()[n] for n in params.PIPELINE_OPTIONS},
                      'score_threshold': 0.4}  # fmt: skip


def test_an_option_the_table_refuses_names_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    from asynet_ros.cli.detect import _parser

    with pytest.raises(SystemExit):
        _parser().parse_args(['--score-threshold', '1.5'])
    assert 'score_threshold must be in [0, 1], got 1.5' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _parser().parse_args(['--window-events', '100', '--window-us', '100'])
    assert 'not allowed with argument' in capsys.readouterr().err


def test_event_packet(ts: object) -> None:
    f = messages.RosbagsFactory(ts)
    msg = messages.event_packet(f, 3 * 10**9 + 7, 'cam', (640, 480), 'evt3', b'\x01\x02', seq=9)
    back = _roundtrip(ts, msg, messages.EVENT_PACKET)
    assert (back.width, back.height, back.encoding, back.seq) == (640, 480, 'evt3', 9)
    assert (back.header.stamp.sec, back.header.stamp.nanosec) == (3, 7)
    assert bytes(back.events) == b'\x01\x02'
