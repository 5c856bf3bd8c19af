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

"""The bad-input matrix: every case a user can hit, each with its message pinned.

Live and replay paths share :class:`Pipeline`, so its cases cover the node, ``asynet-detect``
and ``asynet-replay`` alike: the bad message is dropped, one named counter goes up, one log line
names the problem and the counter, and the next good message gives an output. Files (bags,
checkpoints, configs) fail with a typed error that names the file.
"""

from __future__ import annotations

import logging
from pathlib import Path
import re

import numpy as np
import pytest
import torch

from asynet_core.errors import CheckpointError, ConfigError
from asynet_core.events import EVENT_DTYPE
from asynet_core.models import load_checkpoint, ModelConfig, save_checkpoint, SparseVGG
from asynet_ros import bundled_checkpoint, params
from asynet_ros.bag import BagError, EventBag
from asynet_ros.encoders import encode_mono, Evt3Encoder
from asynet_ros.event_message import EventMessage
from asynet_ros.pipeline import Pipeline, PipelineConfig
from asynet_tools.events import event_stats, write_synthetic_bag
from asynet_training.config import load_config
from model_factory import make_model

W, H = 304, 240


@pytest.fixture
def pipe() -> Pipeline:
    model = make_model('small_det', torch.float32, num_classes=2)
    config = PipelineConfig(window_events=1000, mode='async')
    return Pipeline(model, ModelConfig('small_det', 2), config)


def _events(n: int, t0: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, dtype=EVENT_DTYPE)
    ev['x'], ev['y'] = rng.integers(0, W, n), rng.integers(0, H, n)
    ev['p'] = rng.integers(0, 2, n)
    ev['t'] = t0 + np.sort(rng.integers(0, 5000, n))
    return ev


def _evt3(events: np.ndarray, encoder: Evt3Encoder | None = None, **kw: object) -> EventMessage:
    payload = (encoder or Evt3Encoder()).encode(events)
    fields = {'stamp_ns': 10**18, 'frame_id': 'cam', 'width': W, 'height': H,
              'encoding': 'evt3', 'payload': payload, **kw}  # fmt: skip
    return EventMessage(**fields)  # type: ignore[arg-type]


# Each case: a bad message after a good one, the counter it must raise, the log text.
CASES = {
    'unknown encoding': (
        lambda enc: EventMessage(0, 'cam', W, H, 'evt2', payload=b'\x00\x00'),
        'unknown_encoding',
        "unknown encoding 'evt2'; valid: ['evt3', 'mono', 'libcaer', 'libcaer_cmp', 'dvs_msgs']",
    ),
    'truncated packet': (
        lambda enc: EventMessage(0, 'cam', W, H, 'evt3', payload=b'\x00\x80\x01'),
        'decode_errors',
        'evt3 payload length must be even (16-bit words), got 3 bytes',
    ),
    'truncated mono packet': (
        lambda enc: EventMessage(
            0, 'cam', W, H, 'mono', payload=encode_mono(_events(2, 0), 0)[:12]
        ),
        'decode_errors',
        'mono payload length must be a multiple of 8 (64-bit words), got 12 bytes',
    ),
    'empty packet': (
        lambda enc: EventMessage(0, 'cam', W, H, 'evt3', payload=b''),
        'empty_messages',
        None,
    ),
    'zero sensor size': (
        lambda enc: EventMessage(0, 'cam', 0, H, 'evt3', payload=b''),
        'bad_sensor_size',
        'sensor size 0x240 is not in [1, 65536]',
    ),
    'coordinates out of range': (
        lambda enc: _evt3(_events(50, 6000, 1), enc, width=200),
        'dropped_out_of_range',
        'events outside the 200x240 sensor',
    ),
    'unknown evt3 word': (
        lambda enc: EventMessage(
            0, 'cam', W, H, 'evt3', payload=np.array([0xB000], '<u2').tobytes()
        ),
        'decode_errors',
        'unknown',
    ),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_bad_message_is_counted_logged_and_the_stream_goes_on(
    case: str, pipe: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    make_bad, counter, text = CASES[case]
    encoder = Evt3Encoder()
    assert len(pipe.process(_evt3(_events(500, 0), encoder))) == 1
    before = pipe.counters.to_dict()
    with caplog.at_level(logging.WARNING):
        pipe.process(make_bad(encoder))
    after = pipe.counters.to_dict()
    assert after[counter] > before[counter]
    if text is not None:
        assert text in caplog.text
        assert f'counter {counter}=' in caplog.text
    good = pipe.process(_evt3(_events(500, 20_000, 2), encoder))
    assert len(good) == 1, f'no output after {case}'


def test_time_going_back_resets_and_a_restart_matches_a_fresh_stream(pipe: Pipeline) -> None:
    messages = [_evt3(_events(400, 10_000 * i, i)) for i in range(4)]
    first = [pipe.process(m)[0] for m in messages]
    looped = [pipe.process(m)[0] for m in messages]  # the bag again: time goes back
    assert pipe.counters.time_resets == 1
    for a, b in zip(first, looped, strict=True):
        np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a.boxes, b.boxes, rtol=1e-5, atol=1e-4)
    pipe.reset()  # what a lifecycle cleanup + configure does to the stream
    again = [pipe.process(m)[0] for m in messages]
    for a, b in zip(first, again, strict=True):
        np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5, atol=1e-6)


def test_sensor_size_change_mid_stream(pipe: Pipeline, caplog: pytest.LogCaptureFixture) -> None:
    pipe.process(_evt3(_events(300, 0)))
    with caplog.at_level(logging.WARNING):
        out = pipe.process(_evt3(_events(300, 10_000), width=640, height=480))
    assert len(out) == 1
    assert pipe.counters.sensor_changes == 1
    assert 'sensor size changed from 304x240 to 640x480: stream restarted' in caplog.text


# -- files ---------------------------------------------------------------------------------------


@pytest.fixture(scope='module')
def bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp('bad') / 'bag'
    write_synthetic_bag(path, seconds=0.2, seed=0)
    return path


def test_truncated_bag(bag: Path, tmp_path: Path) -> None:
    broken = tmp_path / 'bag'
    broken.mkdir()
    (broken / 'metadata.yaml').write_bytes((bag / 'metadata.yaml').read_bytes())
    db = next(bag.glob('*.db3'))
    (broken / db.name).write_bytes(db.read_bytes()[: db.stat().st_size // 3])
    with pytest.raises(BagError, match='bag'):
        event_stats(broken)


def test_bag_with_garbage_metadata(tmp_path: Path) -> None:
    (tmp_path / 'metadata.yaml').write_text('rosbag2_bagfile_information: [1, 2\n')
    with pytest.raises(BagError, match=f'cannot open bag {tmp_path}'):
        EventBag(tmp_path)


def test_bag_topic_of_the_wrong_type(bag: Path, tmp_path: Path) -> None:
    with EventBag(bag) as opened:
        assert opened.pick_topic().name == '/event_camera/events'
    from rosbags.rosbag2 import Writer

    from asynet_ros.interfaces import typestore

    other = tmp_path / 'other'
    with Writer(other, version=8) as writer:
        writer.add_connection('/imu', 'std_msgs/msg/String', typestore=typestore())
    with EventBag(other) as opened, pytest.raises(BagError, match='has type std_msgs/msg/String'):
        opened.pick_topic('/imu')
    with EventBag(other) as opened, pytest.raises(BagError, match='has 0 event topics'):
        opened.pick_topic()


def test_checkpoint_missing(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r'checkpoint file .*nope\.pt does not exist'):
        Pipeline.from_checkpoint(tmp_path / 'nope.pt')


def test_checkpoint_corrupt(tmp_path: Path) -> None:
    broken = tmp_path / 'broken.pt'
    broken.write_bytes(bundled_checkpoint().read_bytes()[:5000])
    with pytest.raises(CheckpointError, match='corrupt or truncated file'):
        Pipeline.from_checkpoint(broken)


class _Payload:

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ('this must never run',))


def test_checkpoint_with_pickled_code_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / 'evil.pt'
    torch.save({'model_args': {'arch': 'ncars', 'num_classes': 2}, 'x': _Payload()}, evil)
    with pytest.raises(CheckpointError, match='refused by the safe loader'):
        Pipeline.from_checkpoint(evil)


def test_checkpoint_for_another_architecture(tmp_path: Path) -> None:
    wrong = tmp_path / 'wrong.pt'
    model = SparseVGG(ModelConfig('ncars', 2))
    save_checkpoint(wrong, model, ModelConfig('ncars', 2))
    payload = torch.load(wrong, weights_only=True)
    payload['model_args']['arch'] = 'small_det'  # weights of ncars, config of small_det
    torch.save(payload, wrong)
    with pytest.raises(CheckpointError, match="does not match arch 'small_det'"):
        Pipeline.from_checkpoint(wrong)
    with pytest.raises(
        CheckpointError, match="checkpoint is for arch 'small_det', expected 'ncars'"
    ):
        load_checkpoint(bundled_checkpoint(), arch='ncars')


def test_dense_checkpoint_is_refused_by_the_pipeline(tmp_path: Path) -> None:
    from asynet_core.models.build import build_model

    dense = tmp_path / 'dense.pt'
    config = ModelConfig('ncars', 2, backbone='dense')
    save_checkpoint(dense, build_model(config), config)
    with pytest.raises(ConfigError, match='needs a sparse-backbone checkpoint'):
        Pipeline.from_checkpoint(dense)


def test_training_config_unknown_key_and_wrong_type(tmp_path: Path) -> None:
    cfg = tmp_path / 'c.yaml'
    cfg.write_text('data: {dataset: ncars, root: /x, bogus: 1}\nmodel: {arch: ncars}\n')
    with pytest.raises(
        ConfigError, match=r"unknown keys \['data.bogus'\]; valid keys: \['dataset'"
    ):
        load_config(cfg)
    cfg.write_text('seed: zero\ndata: {dataset: ncars, root: /x}\nmodel: {arch: ncars}\n')
    with pytest.raises(ConfigError, match="seed must be int, got 'zero'"):
        load_config(cfg)


@pytest.mark.parametrize(
    ('name', 'value', 'reason'),
    [
        ('window_events', -5, 'window_events must be >= 0, got -5'),
        ('drop_policy', 'random', "drop_policy must be one of ['oldest', 'newest'], got 'random'"),
        ('diagnostics_period_s', 0.0, 'diagnostics_period_s must be > 0, got 0.0'),
        ('device', 'tpu', "device must be one of ['cpu', 'cuda'], got 'tpu'"),
        ('input_topic', 5, 'input_topic must be of type str, got int 5'),
    ],
)
def test_runtime_parameter_rejected_with_reason(name: str, value: object, reason: str) -> None:
    assert params.check(name, value) == reason


def test_bag_with_a_null_message_count(bag: Path, tmp_path: Path) -> None:
    broken = tmp_path / 'bag'
    broken.mkdir()
    for f in bag.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    meta = broken / 'metadata.yaml'
    pattern = r'- message_count: \d+\n(\s+)topic_metadata'
    text = re.sub(pattern, r'- message_count: null\n\1topic_metadata', meta.read_text())
    meta.write_text(text)
    with pytest.raises(BagError, match=r'corrupt metadata\.yaml'):
        EventBag(broken)
