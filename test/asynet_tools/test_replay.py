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

"""asynet-replay on the real bags, a synthetic bag, and bad input."""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path

import pytest
from rosbags.rosbag2 import Reader
import yaml

from asynet_ros import bundled_checkpoint
from asynet_ros.bag import BagError, EventBag
from asynet_ros.interfaces import typestore
from asynet_tools import events as events_cli
from asynet_tools import replay as replay_cli

CLS = bundled_checkpoint('synthetic_cls')


def test_replay_of_the_metavision_bag(tmp_path: Path, real_bag: Callable[[str], Path]) -> None:
    out = tmp_path / 'replay'
    bag = real_bag('metavision_evt3')
    assert replay_cli.main([str(bag), '--checkpoint', str(CLS), '--out', str(out),
                            '--no-progress', '--frames', '2']) == 0  # fmt: skip
    report = json.loads((out / 'report.json').read_text())
    assert report['events'] == 343474
    assert report['updates'] == report['outputs'] == 517  # one output per packet
    assert report['throughput_events_per_s'] > 0
    assert 0 < report['latency_ms_p50'] <= report['latency_ms_p99']
    assert report['drops'] == dict.fromkeys(report['drops'], 0)
    assert sorted(p.name for p in (out / 'frames').iterdir()) == [
        'frame_0000.png',
        'frame_0001.png',
    ]
    meta = yaml.safe_load((out / 'outputs' / 'metadata.yaml').read_text())
    assert meta['rosbag2_bagfile_information']['version'] == 8  # Humble reads it
    ts = typestore()
    with Reader(out / 'outputs') as reader:
        topics = {c.topic: c.msgtype for c in reader.connections}
        assert topics == {'/asynet/classification': 'vision_msgs/msg/Classification',
                          '/asynet/label_info': 'vision_msgs/msg/LabelInfo'}  # fmt: skip
        msgs = [ts.deserialize_cdr(raw, c.msgtype) for c, _, raw in reader.messages()
                if c.topic == '/asynet/classification']  # fmt: skip
    assert len(msgs) == 517
    assert next(r.class_id for r in msgs[0].results) in (
        'circle',
        'cross',
        'ring',
        'square',
        'triangle',
    )
    stamps = [m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for m in msgs]
    assert stamps == sorted(stamps)


def test_replay_of_the_legacy_mono_bag(tmp_path: Path, real_bag: Callable[[str], Path]) -> None:
    bag = real_bag('legacy_mono')
    summary = replay_cli.replay(bag, CLS, tmp_path / 'r', frames=0, progress=False)
    assert summary['events'] == 100
    assert summary['outputs'] == 2


def test_synthetic_bag_replays_with_labels(tmp_path: Path) -> None:
    bag = tmp_path / 'synth'
    info = events_cli.write_synthetic_bag(bag, seconds=0.4, seed=1)
    assert info['events'] == 40_000
    assert info['labels'] == 16  # 2 segments x 4 label times x 2 shapes
    stats = events_cli.event_stats(bag)
    assert stats['events'] == 40_000
    assert (stats['width'], stats['height'], stats['encoding']) == (304, 240, 'evt3')
    summary = replay_cli.replay(bag, bundled_checkpoint('synthetic_det'), tmp_path / 'r',
                                labels=bag / 'labels_bbox.npy', gif=True, frames=3,
                                progress=False)  # fmt: skip
    metrics = summary['metrics']
    assert metrics['label_times'] == 8
    assert metrics['label_times_matched'] == 8
    assert 0.0 <= metrics['voc_map50'] <= 1.0
    assert (tmp_path / 'r' / 'replay.gif').stat().st_size > 0


def test_bad_input_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], real_bag: Callable[[str], Path]
) -> None:
    args = ['--checkpoint', str(CLS), '--out', str(tmp_path / 'o')]
    assert replay_cli.main([str(tmp_path / 'none'), *args]) == 2
    assert 'does not exist' in capsys.readouterr().err
    (tmp_path / 'empty').mkdir()
    with pytest.raises(BagError, match=r'no metadata\.yaml'):
        EventBag(tmp_path / 'empty')
    bag = real_bag('metavision_evt3')
    with EventBag(bag) as opened, pytest.raises(BagError, match='topic /nope is not in bag'):
        opened.pick_topic('/nope')
    missing = tmp_path / 'missing.pt'
    assert replay_cli.main([str(bag), '--checkpoint', str(missing), '--out', str(tmp_path)]) == 2
    assert 'missing.pt' in capsys.readouterr().err
    assert events_cli.main(['stats', str(tmp_path / 'x.foo')]) == 2
    assert 'does not exist' in capsys.readouterr().err


def test_replay_honours_thresholds_alone_and_flushes_the_tail(tmp_path: Path) -> None:
    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.2, seed=2)  # one 200 ms segment: 20 000 events
    out = tmp_path / 'r'
    args = [str(bag), '--out', str(out), '--no-progress', '--frames', '0']
    assert (
        replay_cli.main([*args, '--score-threshold', '1.0', '--update-every-events', '1500']) == 0
    )
    report = json.loads((out / 'report.json').read_text())
    assert report['events'] == 20_000
    assert report['outputs'] == 14  # 13 x 1500 and the 500-event tail at the end of the bag
    ts = typestore()
    with Reader(out / 'outputs') as reader:
        msgs = [ts.deserialize_cdr(raw, c.msgtype) for c, _, raw in reader.messages()
                if c.topic == '/asynet/detections']  # fmt: skip
    assert len(msgs) == 14
    assert all(len(m.detections) == 0 for m in msgs)  # nothing scores 1.0
