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

"""asynet-replay on the real bags, a synthetic bag, the same events as RAW / DAT, and bad input."""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
from typing import Any

import pytest
from rosbags.rosbag2 import Reader
import yaml

from asynet_core.events import concatenate_events
from asynet_ros import bundled_checkpoint
from asynet_ros.bag import BagError, EventBag
from asynet_ros.encoders import Evt3Encoder
from asynet_ros.interfaces import typestore
from asynet_ros.recording import open_recording
from asynet_tools import events as events_cli
from asynet_tools import replay as replay_cli
from asynet_training.formats import write_dat

CLS = bundled_checkpoint('synthetic_cls')


def test_replay_of_the_metavision_bag(tmp_path: Path, real_bag: Callable[[str], Path]) -> None:
    out = tmp_path / 'replay'
    bag = real_bag('metavision_evt3')
    argv = [
        str(bag),
        '--checkpoint',
        str(CLS),
        '--out',
        str(out),
        '--no-progress',
        '--frames',
        '2',
    ]
    assert replay_cli.main([*argv, '--output-rate-hz', '0']) == 0  # one update per message
    report = json.loads((out / 'report.json').read_text())
    assert report['events'] == 343474
    assert report['updates'] == report['outputs'] == 517  # one output per packet
    assert report['output_rate_hz'] is None
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
                                progress=False, output_rate_hz=100.0)  # fmt: skip
    assert summary['outputs'] == 40  # 0.4 s at the command's default rate
    metrics = summary['metrics']
    assert metrics['label_times'] == 8
    assert metrics['label_times_matched'] == 8
    assert 0 <= metrics['label_lag_ms_max'] < 11  # each label met by an output of its 10 ms
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
    assert report['output_rate_hz'] is None  # the policy given wins over the default rate
    ts = typestore()
    with Reader(out / 'outputs') as reader:
        msgs = [ts.deserialize_cdr(raw, c.msgtype) for c, _, raw in reader.messages()
                if c.topic == '/asynet/detections']  # fmt: skip
    assert len(msgs) == 14
    assert all(len(m.detections) == 0 for m in msgs)  # nothing scores 1.0


def _detections(outputs: Path) -> list[tuple[int, list[Any]]]:
    """(stamp ns, [(class, score, cx, cy, w, h), ...]) of every output of a replay."""
    ts, found = typestore(), []
    with Reader(outputs) as reader:
        for c, _, raw in reader.messages():
            if c.topic != '/asynet/detections':
                continue
            msg = ts.deserialize_cdr(raw, c.msgtype)
            boxes = [
                (
                    d.results[0].hypothesis.class_id,
                    d.results[0].hypothesis.score,
                    d.bbox.center.position.x,
                    d.bbox.center.position.y,
                    d.bbox.size_x,
                    d.bbox.size_y,
                )
                for d in msg.detections
            ]
            found.append((msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec, boxes))
    return found


@pytest.mark.parametrize('kind', ['evt3', 'dat'])
def test_a_file_replays_as_the_bag_of_its_events(tmp_path: Path, kind: str) -> None:
    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.4, seed=5)  # 1 ms evt3 packets, 304x240
    with open_recording(bag) as rec:
        events = concatenate_events(list(rec.events()))
        first_stamp_ns = next(rec.messages())[1].stamp_ns
    offset_ns = first_stamp_ns - int(events['t'][0]) * 1000  # the bag's start time
    if kind == 'evt3':
        path = tmp_path / 'synth.raw'
        header = b'% evt 3.0\n% format EVT3;height=240;width=304\n% end\n'
        path.write_bytes(header + Evt3Encoder().encode(events))
    else:
        path = tmp_path / 'synth.dat'
        write_dat(path, events, 304, 240)
    det = bundled_checkpoint('synthetic_det')
    labels = bag / 'labels_bbox.npy'
    args = {'labels': labels, 'frames': 0, 'progress': False}
    from_bag = replay_cli.replay(bag, det, tmp_path / 'rb', **args)
    from_file = replay_cli.replay(path, det, tmp_path / 'rf', **args)
    for key in ('messages', 'events', 'updates', 'outputs', 'drops', 'counters', 'metrics'):
        assert from_file[key] == from_bag[key], key
    assert from_bag['events'] == 40_000
    assert from_bag['outputs'] > 0
    bag_out, file_out = (
        _detections(tmp_path / 'rb' / 'outputs'),
        _detections(tmp_path / 'rf' / 'outputs'),
    )
    assert len(bag_out) == len(file_out) == from_bag['outputs']
    assert any(boxes for _, boxes in bag_out)  # something was detected, and compared
    assert [b for _, b in file_out] == [b for _, b in bag_out]
    assert [s + offset_ns for s, _ in file_out] == [s for s, _ in bag_out]  # stamps: sensor time
    report = json.loads((tmp_path / 'rf' / 'report.json').read_text())
    assert report['input'] == {
        'kind': kind,
        'format': kind,
        'sensor': [304, 240],
        'sensor_source': 'header',
        'time_order': {'steps_back': 0, 'largest_step_back_us': 0, 'first_step_back_index': None},
        'salvage': None,
    }
    assert (report['bag'], report['topic']) == (str(path), None)
    assert from_bag['input']['kind'] == 'rosbag2'


def test_replay_options_for_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.2, seed=6)
    with open_recording(bag) as rec:
        events = concatenate_events(list(rec.events()))
    path = tmp_path / 'bare.raw'
    path.write_bytes(b'% evt 3.0\n% end\n' + Evt3Encoder().encode(events))  # no size
    base = [str(path), '--checkpoint', str(CLS), '--no-progress', '--frames', '0']
    assert replay_cli.main([*base, '--out', str(tmp_path / 'a')]) == 2
    assert '--width' in capsys.readouterr().err
    sized = [*base, '--width', '304', '--height', '240', '--packet-us', '5000']
    assert replay_cli.main([*sized, '--out', str(tmp_path / 'b')]) == 0
    report = json.loads((tmp_path / 'b' / 'report.json').read_text())
    assert report['messages'] == 40  # 200 ms in 5 ms packets
    assert report['outputs'] == 20  # at the default 100 Hz: one per two packets
    assert report['input']['sensor_source'] == 'given'
    assert replay_cli.main([*sized, '--topic', '/x', '--out', str(tmp_path / 'c')]) == 2
    assert 'no topic' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        replay_cli.main([*base, '--width', '304', '--out', str(tmp_path / 'd')])


def test_out_of_range_packet_lengths_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from asynet_tools.replay.run import replay

    path = tmp_path / 'rec.dat'
    summary = events_cli.write_synthetic_bag(tmp_path / 'synth', seconds=0.2, seed=7)
    assert summary['events'] == 20_000
    with open_recording(tmp_path / 'synth') as rec:
        write_dat(path, concatenate_events(list(rec.events())), 304, 240)
    out = tmp_path / 'o'
    base = [str(path), '--checkpoint', str(CLS), '--out', str(out), '--no-progress']
    for bad, words in (('99999999999999999999', 'an hour at most'), ('x', 'packet length')):
        with pytest.raises(SystemExit) as exit_info:
            replay_cli.main([*base, '--packet-us', bad])
        assert exit_info.value.code == 2
        assert words in capsys.readouterr().err
    with pytest.raises(ValueError, match='--packet-us'):
        replay(path, CLS, out, packet_us=10**20, progress=False)
    assert not out.exists()


def test_a_sensor_size_is_refused_for_a_bag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.2, seed=8)
    out = tmp_path / 'o'
    argv = [str(bag), '--checkpoint', str(CLS), '--out', str(out), '--width', '10']
    with pytest.raises(SystemExit) as exit_info:
        replay_cli.main([*argv, '--height', '10'])
    assert exit_info.value.code == 2
    assert events_cli.BAG_SENSOR_REFUSAL in capsys.readouterr().err
    assert not out.exists()


def _replay_report(bag: Path, out: Path, *extra: str) -> dict[str, Any]:
    argv = [str(bag), '--out', str(out), '--no-progress', '--frames', '0', *extra]
    assert replay_cli.main(argv) == 0
    report: dict[str, Any] = json.loads((out / 'report.json').read_text())
    return report


def test_outputs_at_100_hz_by_default_and_one_per_message_at_rate_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from asynet_tools.replay.run import DEFAULT_OUTPUT_RATE_HZ

    assert replay_cli.cli._parser().get_default('output_rate_hz') == DEFAULT_OUTPUT_RATE_HZ
    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=2.0, seed=9)  # 1 ms packets
    report = _replay_report(bag, tmp_path / 'a')
    assert report['messages'] == 2000
    assert report['updates'] == report['outputs'] == 200  # every 10 ms of 2 s, the tail flushed
    assert report['output_rate_hz'] == 100.0
    printed = json.loads(capsys.readouterr().out)
    for key in ('sensor_s', 'wall_s', 'x_real_time', 'x_real_time_process'):
        assert printed[key] == report[key] > 0, key
    assert report['sensor_s'] == pytest.approx(1.999, abs=1e-3)  # first to last packet stamp
    assert report['x_real_time'] == pytest.approx(report['sensor_s'] / report['wall_s'])
    assert report['process_s'] > report['wall_s']  # start-up counted
    assert report['x_real_time_process'] < report['x_real_time']
    short = tmp_path / 'short'
    events_cli.write_synthetic_bag(short, seconds=0.2, seed=9)
    exact = _replay_report(short, tmp_path / 'b', '--output-rate-hz', '0')
    assert exact['messages'] == exact['outputs'] == 200  # one per message, as before
    assert exact['output_rate_hz'] is None
    slow = _replay_report(short, tmp_path / 'c', '--output-rate-hz', '20')
    assert slow['outputs'] == 4  # every 50 ms


def test_a_bad_output_rate_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from asynet_core.errors import ConfigError
    from asynet_tools.replay.run import replay

    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.05, seed=3)
    out = tmp_path / 'o'
    assert replay_cli.main([str(bag), '--out', str(out), '--output-rate-hz', '-1']) == 2
    assert 'output rate must be in [0, 1e6] Hz, got -1.0' in capsys.readouterr().err
    with pytest.raises(ConfigError, match='output rate'):
        replay(bag, CLS, out, output_rate_hz=float('nan'), progress=False)
    assert not out.exists()


def test_frames_render_only_the_frames_written(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    import numpy as np

    from asynet_core.events import empty_events, SensorSize
    from asynet_tools.replay import output

    rendered: list[int] = []

    def render(events: Any, sensor: Any, result: Any, names: Any, **kw: Any) -> Any:
        rendered.append(result.t_us)
        return np.zeros((2, 2, 3), np.uint8)

    monkeypatch.setattr(output.visual, 'render', render)
    pipeline = SimpleNamespace(
        sensor=SensorSize(4, 4), class_names=['a'], window_events=lambda: empty_events()
    )
    frames = output.Frames(3)
    for i in range(100):
        frames.offer(i, pipeline, SimpleNamespace(t_us=i))  # type: ignore[arg-type]
    assert rendered == []  # nothing drawn while replaying
    written = frames.render()
    assert [t for t, _ in written] == rendered == [0, 64, 96]  # of 0, 32, 64, 96 kept
    assert output.Frames(0).render() == []


def test_the_update_policy_is_due_exactly_when_it_cuts() -> None:
    """The pipeline gathers pending events only when due: not due must change nothing."""
    import numpy as np

    from asynet_ros.pipeline.policy import policy_cuts, policy_due

    rng, skipped = np.random.default_rng(15), 0
    for _ in range(500):
        t = np.sort(rng.integers(0, 50_000, int(rng.integers(1, 40))))
        every_events = int(rng.integers(1, 60)) if rng.random() < 0.3 else None
        every_us = None if every_events else int(rng.integers(1, 20_000))
        next_t = None if rng.random() < 0.3 else int(rng.integers(0, 60_000))
        cuts, next_after = policy_cuts(t, every_events, every_us, next_t)
        if not policy_due(int(t[-1]), len(t), every_events, every_us, next_t):
            assert (cuts, next_after) == ([], next_t), (t, every_events, every_us, next_t)
            skipped += 1
        elif every_events:
            assert cuts, (t, every_events)  # due: an update follows
    assert 100 < skipped < 400  # both sides drawn
    assert policy_due(0, 1, None, None, None)  # one update per message


def test_a_dense_checkpoint_replays_and_its_updates_say_dense(tmp_path: Path) -> None:
    from asynet_core.models import build_model, ModelConfig, save_checkpoint

    config = ModelConfig('small_det', 2, backbone='dense')
    checkpoint = tmp_path / 'dense.pt'
    save_checkpoint(checkpoint, build_model(config), config)
    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.1, seed=2)
    report = _replay_report(bag, tmp_path / 'r', '--checkpoint', str(checkpoint))
    assert report['outputs'] > 0
    assert report['modes'] == {'dense': report['outputs']}  # each update a full dense forward


def test_an_interrupt_between_an_answer_and_its_write_counts_only_the_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asynet_tools.replay import run as run_mod

    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.2, seed=3)
    write, calls = run_mod._Run._write, []

    def interrupted_third(self: Any, *args: Any) -> None:
        calls.append(1)
        if len(calls) == 3:  # the pipeline has answered; SIGINT lands before the write
            raise KeyboardInterrupt('SIGINT')
        write(self, *args)

    monkeypatch.setattr(run_mod._Run, '_write', interrupted_third)
    with pytest.raises(KeyboardInterrupt):
        replay_cli.replay(bag, bundled_checkpoint(), tmp_path / 'r', progress=False, frames=0)
    report = json.loads((tmp_path / 'r' / 'report.json').read_text())
    with Reader(tmp_path / 'r' / 'outputs') as reader:
        written = sum(1 for c in reader.connections if c.topic == '/asynet/detections' for _ in
                      reader.messages(connections=[c]))  # fmt: skip
    assert report['complete'] is False
    assert written == report['outputs'] == 2
    assert report['counters']['outputs'] == 3  # the pipeline's own count keeps the third
