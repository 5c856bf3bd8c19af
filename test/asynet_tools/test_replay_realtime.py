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

"""asynet-replay --realtime: continuous sampling on a simulated clock, latency-aware metrics."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rosbags.rosbag2 import Reader

from asynet_core.errors import ConfigError
from asynet_core.events import concatenate_events, SensorSize
from asynet_ros import bundled_checkpoint, messages
from asynet_ros.encoders import Evt3Encoder
from asynet_ros.interfaces import typestore
from asynet_tools import events as events_cli
from asynet_tools import replay as replay_cli
from asynet_tools.replay import run as run_mod
from asynet_tools.replay.realtime import OFFLINE_EVALUATION
from asynet_training.formats import BBOX_DTYPE, write_gen1_bbox
from asynet_training.synthetic.shapes import make_detection_sample, SHAPE_CLASSES

DET = bundled_checkpoint('synthetic_det')
SENSOR = SensorSize(304, 240)
START_NS = 1_700_000_000 * 10**9  # header time of sensor time 0
SEGMENT_US = 50_000  # two shapes cross 5-40 % of the sensor's height in 50 ms: up to 2 px/ms
GAP_US = 50_000  # no events between segments
SLOW_COST_S = 0.02  # 20 ms a batch: a fast shape moves up to 40 px meanwhile


def _fast_bag(path: Path, seed: int, segments: int = 2) -> Path:
    """Fast shapes (circle, square): 20 000 events per 50 ms segment in 1 ms evt3 packets.

    Labelled every 5 ms over each segment's second half (the detector's 5000-event window,
    12.5 ms, then holds the segment's events only).
    """
    rng = np.random.default_rng(seed)
    ids = [SHAPE_CLASSES.index('circle'), SHAPE_CLASSES.index('square')]
    label_times = np.arange(SEGMENT_US // 2, SEGMENT_US + 1, 5_000)
    chunks, labels = [], []
    for k in range(segments):
        classes = [ids[i] for i in rng.integers(0, 2, size=2)]
        events, boxes = make_detection_sample(
            SENSOR, 2, 20_000, label_times, rng, duration_us=SEGMENT_US + 1, class_ids=classes
        )
        events['t'] += k * (SEGMENT_US + GAP_US)
        boxes['t'] += k * (SEGMENT_US + GAP_US)
        boxes['class_id'] = [ids.index(c) for c in boxes['class_id']]
        chunks.append(events)
        labels.append(boxes)
    _write_packets(path, concatenate_events(chunks))
    write_gen1_bbox(path / 'labels_bbox.npy', np.concatenate(labels).astype(BBOX_DTYPE))
    return path


def _write_packets(path: Path, events: np.ndarray) -> None:
    """A rosbag2 of 1 ms evt3 packets, each stamped with its first event's time."""
    from rosbags.rosbag2 import Writer

    ts, encoder = typestore(), Evt3Encoder()
    factory = messages.RosbagsFactory(ts)
    packet = events['t'] // 1000
    starts = np.flatnonzero(np.diff(packet, prepend=-1))
    ends = [*starts[1:], len(events)]
    with Writer(path, version=8) as writer:
        conn = writer.add_connection('/events', messages.EVENT_PACKET, typestore=ts)
        for seq, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
            part = events[lo:hi]
            stamp = START_NS + int(part['t'][0]) * 1000
            size = (SENSOR.width, SENSOR.height)
            msg = messages.event_packet(
                factory, stamp, 'cam', size, 'evt3', encoder.encode(part), seq=seq
            )
            writer.write(conn, stamp, bytes(ts.serialize_cdr(msg, messages.EVENT_PACKET)))


@pytest.fixture(scope='module')
def fast(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The fast bag and its offline replay, one update per message (``output_rate_hz=0``)."""
    root = tmp_path_factory.mktemp('fast')
    bag = _fast_bag(root / 'bag', seed=0)
    summary = replay_cli.replay(bag, DET, root / 'offline', **_args(bag))
    return bag, summary


def _args(bag: Path) -> dict[str, Any]:
    return {'labels': bag / 'labels_bbox.npy', 'frames': 0, 'progress': False}


def _received(outputs: Path) -> tuple[np.ndarray, np.ndarray]:
    """(receive time, header stamp) in ns of every output of a replay's bag."""
    ts, rows = typestore(), []
    with Reader(outputs) as reader:
        for conn, received_ns, raw in reader.messages():
            if conn.topic == '/asynet/detections':
                stamp = ts.deserialize_cdr(raw, conn.msgtype).header.stamp
                rows.append((received_ns, stamp.sec * 10**9 + stamp.nanosec))
    table = np.array(rows, dtype=np.int64).reshape(-1, 2)
    return table[:, 0], table[:, 1]


def test_a_slow_node_scores_lower_than_the_offline_replay(
    tmp_path: Path, fast: tuple[Path, dict[str, Any]]
) -> None:
    bag, offline = fast
    assert offline['evaluation'] == OFFLINE_EVALUATION
    classic = offline['metrics']
    assert classic['label_times'] == classic['label_times_matched'] == 12
    assert classic['voc_map50'] > 0.4  # the detector finds the shapes when it takes no time
    slow = replay_cli.replay(
        bag, DET, tmp_path / 'slow', realtime=True, cost=lambda *_: SLOW_COST_S,
        values={'queue_size': 16}, **_args(bag),
    )  # fmt: skip
    aware = slow['metrics']['latency_aware']
    assert aware['label_times'] == 12
    assert aware['voc_map50'] < classic['voc_map50'] / 4  # the shapes moved on meanwhile
    assert aware['coco_map'] < classic['coco_map']
    assert aware['age_ms_p50'] >= SLOW_COST_S * 1e3  # never fresher than one compute time
    evaluation = slow['evaluation']
    assert evaluation['mode'] == 'realtime'
    assert evaluation['compute_scale'] is None  # a cost model of its own
    assert evaluation['batches'] == slow['outputs'] < offline['outputs'] / 10
    assert evaluation['dropped_queue_full'] > 0  # 20 packets arrive per batch, 16 are queued
    received, stamps = _received(tmp_path / 'slow' / 'outputs')
    cost_ns = round(SLOW_COST_S * 1e9)
    with Reader(bag) as reader:
        first_arrival_ns = next(reader.messages())[1]
    busy_s = evaluation['batches'] * SLOW_COST_S  # idle in the gap between segments only
    elapsed_s = (received[-1] - first_arrival_ns) / 1e9  # to the end of the last batch
    assert evaluation['busy_fraction'] == pytest.approx(busy_s / elapsed_s)
    assert 0.5 < evaluation['busy_fraction'] < 1.0
    assert len(received) == slow['outputs']
    assert np.all(received - stamps >= cost_ns)  # available a compute time after its input
    assert np.all(np.diff(received) >= cost_ns)  # one batch at a time


def test_free_compute_scores_as_the_offline_per_message_replay(
    tmp_path: Path, fast: tuple[Path, dict[str, Any]]
) -> None:
    bag, offline = fast
    free = replay_cli.replay(
        bag, DET, tmp_path / 'free', realtime=True, compute_scale=0.0, **_args(bag)
    )
    metrics = dict(free['metrics'])
    aware = metrics.pop('latency_aware')
    assert metrics == offline['metrics']  # the same outputs, matched as offline
    keys = ('voc_map50', 'coco_map', 'voc_ap50_per_class', 'label_times', 'label_times_matched')
    assert {k: aware[k] for k in keys} == {k: offline['metrics'][k] for k in keys}
    assert aware['voc_map50'] > 0.4
    assert aware['age_ms_p99'] < 1.0  # each label met by the packet just before it
    assert free['outputs'] == free['messages'] == offline['outputs']
    assert aware['output_rate_hz'] == pytest.approx(free['outputs'] / free['sensor_s'])
    assert free['evaluation']['compute_scale'] == 0.0
    assert free['evaluation']['dropped_queue_full'] == 0
    assert free['evaluation']['busy_fraction'] == 0.0
    received, stamps = _received(tmp_path / 'free' / 'outputs')
    assert np.array_equal(received, stamps)  # available at its newest event
    assert free['availability_ms_p50'] == free['availability_ms_p99'] == 0.0


def test_report_and_output_bag_of_a_realtime_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.2, seed=4)
    args = [str(bag), '--no-progress', '--frames', '1', '--labels', str(bag / 'labels_bbox.npy')]
    realtime = [
        '--realtime',
        '--compute-scale',
        '3',
        '--queue-size',
        '4',
        '--drop-policy',
        'newest',
    ]
    assert replay_cli.main([*args, '--out', str(tmp_path / 'rt'), *realtime]) == 0
    printed = json.loads(capsys.readouterr().out)  # stdout holds the summary only
    report = json.loads((tmp_path / 'rt' / 'report.json').read_text())
    assert printed['evaluation'] == report['evaluation']
    evaluation = report['evaluation']
    assert set(evaluation) == set(OFFLINE_EVALUATION)
    assert {k: evaluation[k] for k in ('mode', 'compute_scale', 'queue_size', 'drop_policy')} == {
        'mode': 'realtime',
        'compute_scale': 3.0,
        'queue_size': 4,
        'drop_policy': 'newest',
    }
    assert evaluation['errors'] == 0
    assert report['output_rate_hz'] is None  # continuous sampling: no output rate
    assert evaluation['batches'] == report['updates'] == report['outputs'] > 0  # one per batch
    assert 0.0 < evaluation['busy_fraction'] <= 1.0
    assert report['messages'] == 200
    aware = report['metrics']['latency_aware']
    assert set(aware) == {'voc_map50', 'coco_map', 'voc_ap50_per_class', 'label_times',
                          'label_times_matched', 'age_ms_p50', 'age_ms_p99',
                          'output_rate_hz'}  # fmt: skip
    assert 0.0 < aware['age_ms_p50'] <= aware['age_ms_p99']
    assert aware['output_rate_hz'] == pytest.approx(report['outputs'] / report['sensor_s'])
    assert 0.0 <= report['metrics']['coco_map'] <= report['metrics']['voc_map50'] <= 1.0
    received, stamps = _received(tmp_path / 'rt' / 'outputs')
    assert len(received) == report['outputs']
    availability_ms = (received - stamps) / 1e6
    assert np.all(availability_ms > 0)  # each update took some time
    assert np.all(np.diff(received) > 0)  # one after the other
    for q in (50, 99):
        expected = float(np.percentile(availability_ms, q))
        assert report[f'availability_ms_p{q}'] == pytest.approx(expected, abs=1e-6)
    assert len(list((tmp_path / 'rt' / 'frames').iterdir())) == 1
    assert replay_cli.main([*args, '--out', str(tmp_path / 'off')]) == 0
    offline = json.loads((tmp_path / 'off' / 'report.json').read_text())
    assert offline['evaluation'] == OFFLINE_EVALUATION
    assert offline['availability_ms_p50'] is offline['availability_ms_p99'] is None
    assert 'latency_aware' not in offline['metrics']
    received, stamps = _received(tmp_path / 'off' / 'outputs')
    assert np.array_equal(received, stamps)  # offline: received at the input's time


def test_an_update_policy_given_applies_in_real_time(tmp_path: Path) -> None:
    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.2, seed=5)
    args = [str(bag), '--no-progress', '--frames', '0', '--update-every-us', '10000']
    assert replay_cli.main([*args, '--out', str(tmp_path / 'rt'), '--realtime',
                            '--compute-scale', '0']) == 0  # fmt: skip
    assert replay_cli.main([*args, '--out', str(tmp_path / 'off')]) == 0
    rt_received, rt_stamps = _received(tmp_path / 'rt' / 'outputs')
    _, off_stamps = _received(tmp_path / 'off' / 'outputs')
    assert len(off_stamps) == 20  # every 10 ms of 200 ms, the tail flushed at the end
    assert np.array_equal(rt_stamps, off_stamps[:-1])  # a live node never sees the end
    assert np.array_equal(rt_received, rt_stamps)


def test_realtime_options_are_refused_where_they_do_not_apply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.05, seed=3)
    out = tmp_path / 'o'
    base = [str(bag), '--out', str(out), '--no-progress']
    refused = (
        (['--compute-scale', '2'], '--compute-scale needs --realtime'),
        (['--queue-size', '4', '--drop-policy', 'newest'], '--queue-size, --drop-policy needs'),
        (['--queue-bytes', '1000'], '--queue-bytes needs --realtime'),
        (['--realtime', '--queue-bytes', '0'], 'queue_bytes must be >= 1'),
        (['--realtime', '--output-rate-hz', '100'], '--output-rate-hz does not apply'),
        (['--realtime', '--compute-scale', '-1'], 'compute scale must be a finite number >= 0'),
        (['--realtime', '--compute-scale', 'nan'], 'compute scale must be a finite number >= 0'),
        (['--realtime', '--compute-scale', 'x'], "expected a number, got 'x'"),
        (['--realtime', '--compute-scale', '1e400'], 'finite number >= 0, got inf'),
        (['--realtime', '--compute-scale', '1e7'], r'compute scale must be in [0, 1e+06]'),
        (['--realtime', '--queue-size', '0'], 'queue_size must be >= 1'),
        (['--realtime', '--drop-policy', 'all'], 'drop_policy must be one of'),
    )
    for extra, words in refused:
        with pytest.raises(SystemExit) as exit_info:
            replay_cli.main([*base, *extra])
        assert exit_info.value.code == 2, extra
        assert words in capsys.readouterr().err, extra
    cases = (
        ({'compute_scale': 2.0}, 'real-time replay only'),
        ({'cost': lambda *_: 0.0}, 'real-time replay only'),
        ({'realtime': True, 'output_rate_hz': 100.0}, 'no output rate'),
        ({'realtime': True, 'compute_scale': -1.0}, 'compute scale'),
        ({'realtime': True, 'values': {'queue_size': 0}}, 'queue_size'),
        ({'realtime': True, 'values': {'drop_policy': 'all'}}, 'drop policy'),
    )
    for kwargs, words in cases:
        with pytest.raises(ConfigError, match=words):
            replay_cli.replay(bag, DET, out, progress=False, **kwargs)
    assert not out.exists()  # refused before any output


def _looped(bag: Path, out: Path, *, stamp_ns: int | None = None) -> Path:
    """``bag`` played twice: the header stamps step back, the receive times go on.

    With ``stamp_ns``, played once with every header stamped ``stamp_ns`` instead.
    """
    from rosbags.rosbag2 import Writer

    ts = typestore()
    with Reader(bag) as reader:
        rows = list(reader.messages())
    last_ns = rows[-1][1]
    with Writer(out, version=8) as writer:
        conn = writer.add_connection(rows[0][0].topic, rows[0][0].msgtype, typestore=ts)
        for k, (c, received_ns, raw) in enumerate(rows + (rows if stamp_ns is None else [])):
            msg = ts.deserialize_cdr(raw, c.msgtype)
            msg.seq = k  # no transport gap at the loop
            if stamp_ns is not None:
                msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 10**9)
            again = (last_ns - rows[0][1] + 1_000_000) if k >= len(rows) else 0
            writer.write(conn, received_ns + again, bytes(ts.serialize_cdr(msg, c.msgtype)))
    return out


def test_a_looped_bag_replays_its_second_pass_paced(tmp_path: Path) -> None:
    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.2, seed=7)
    looped = _looped(bag, tmp_path / 'looped')
    cost = lambda *_: 0.002  # noqa: E731  # 2 ms a batch: two or three 1 ms packets each
    summary = replay_cli.replay(
        looped, DET, tmp_path / 'rt', realtime=True, cost=cost, frames=0, progress=False
    )
    evaluation = summary['evaluation']
    assert evaluation['loops'] == 1
    assert evaluation['dropped_queue_full'] == 0  # the second pass did not arrive at once
    assert summary['messages'] == 400
    assert summary['counters']['time_resets'] == 1
    assert 150 <= summary['outputs'] <= 200  # both passes, a batch of 2-3 packets at a time
    assert summary['availability_ms_p99'] < 4.0  # never a pass late
    received, _ = _received(tmp_path / 'rt' / 'outputs')
    assert np.all(np.diff(received) > 0)


def test_the_queue_byte_bound_is_simulated(tmp_path: Path) -> None:
    """The node's second queue bound: a message larger than it is still taken alone."""
    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.1, seed=8)
    base = [str(bag), '--no-progress', '--frames', '0', '--realtime', '--compute-scale', '3']
    assert replay_cli.main([*base, '--out', str(tmp_path / 'one'), '--queue-bytes', '1']) == 0
    evaluation = json.loads((tmp_path / 'one' / 'report.json').read_text())['evaluation']
    assert evaluation['queue_bytes'] == 1
    assert evaluation['queue_size'] == 64  # the node's default, beside it
    assert evaluation['dropped_queue_full'] > 0
    report = json.loads((tmp_path / 'one' / 'report.json').read_text())
    assert report['counters']['messages'] == evaluation['batches']  # one message a batch


CLS = bundled_checkpoint('synthetic_cls')


@pytest.fixture(scope='module')
def short_bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A labelled synthetic bag of 0.2 s (one segment: label times every 50 ms)."""
    bag = tmp_path_factory.mktemp('short') / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.2, seed=9)
    return bag


def _labels_file(bag: Path, folder: Path, case: str) -> tuple[Path, list[str]]:
    """A labels file broken as ``case`` says; extra options; (the file, the options)."""
    boxes = np.load(bag / 'labels_bbox.npy')
    path, extra = folder / f'{case}.npy', []
    if case == 'classifier':
        extra = ['--checkpoint', str(CLS)]
    elif case == 'empty':
        boxes = boxes[:0]
    elif case == 'class 7':
        boxes['class_id'] = 7
    elif case == 'nan x':
        boxes['x'][1] = np.nan
    elif case == 'negative w':
        boxes['w'][0] = -5.0
    elif case == 'csv':
        path = folder / 'labels.csv'
        path.write_text('t,x,y,w,h\n1,2,3,4,5\n')
        return path, extra
    elif case == 'missing':
        return folder / 'none.npy', extra
    write_gen1_bbox(path, boxes.astype(BBOX_DTYPE))
    return path, extra


@pytest.mark.parametrize(
    ('case', 'words'),
    [
        ('classifier', 'is a classification checkpoint, whose outputs have none to score'),
        ('empty', 'holds no box, so there is nothing to score'),
        ('class 7', 'class id 7 (8 of 8 boxes) is not a class of'),
        ('nan x', '1 of 8 boxes are not finite or have a negative size, the first (index 1'),
        ('negative w', 'the first (index 0, t 50000 us): x'),
        ('csv', 'not a .npy file (no NumPy header)'),
        ('missing', 'none.npy does not exist'),
    ],
)
@pytest.mark.parametrize('realtime', [False, True])
def test_labels_that_cannot_score_the_replay_are_refused_first(
    short_bag: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    words: str,
    realtime: bool,
) -> None:
    labels, extra = _labels_file(short_bag, tmp_path, case)
    argv = [str(short_bag), '--out', str(tmp_path / 'o'), '--labels', str(labels),
            '--no-progress', *extra, *(['--realtime'] if realtime else [])]  # fmt: skip
    assert replay_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith('asynet-replay: error: ')
    assert words in err
    assert err.count('\n') == 1
    assert not (tmp_path / 'o').exists()  # refused before any output


@pytest.mark.parametrize('shift_s', [-10, 10])
def test_labels_of_another_time_are_an_error_once_all_is_written(
    short_bag: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], shift_s: int
) -> None:
    boxes = np.load(short_bag / 'labels_bbox.npy')
    boxes['t'] += shift_s * 10**6  # all before the recording, or all after it
    labels = tmp_path / 'shifted.npy'
    write_gen1_bbox(labels, boxes.astype(BBOX_DTYPE))
    argv = [str(short_bag), '--out', str(tmp_path / 'o'), '--labels', str(labels),
            '--no-progress', '--frames', '0', '--realtime']  # fmt: skip
    assert replay_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert 'none of its 4 label times falls within the sensor time of the outputs' in err
    assert err.count('\n') == 1
    report = json.loads((tmp_path / 'o' / 'report.json').read_text())  # written all the same
    assert report['complete']
    assert report['metrics']['label_times_in_range'] == 0
    assert (tmp_path / 'o' / 'outputs' / 'metadata.yaml').exists()


def test_labels_partly_past_the_recording_are_scored_and_counted(
    short_bag: Path, tmp_path: Path
) -> None:
    boxes = np.load(short_bag / 'labels_bbox.npy')
    later = boxes.copy()
    later['t'] += 10**6  # one second after the recording
    labels = tmp_path / 'more.npy'
    write_gen1_bbox(labels, np.concatenate([boxes, later]).astype(BBOX_DTYPE))
    summary = replay_cli.replay(short_bag, DET, tmp_path / 'o', labels=labels, frames=0,
                                progress=False)  # fmt: skip
    metrics = summary['metrics']
    assert metrics['label_times'] == metrics['label_times_matched'] == 8
    assert metrics['label_times_in_range'] == 3  # 50-150 ms: 200 ms is past the last event
    assert metrics['label_times_not_replayed'] == 0


def test_an_interrupted_replay_scores_the_label_times_it_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bag = tmp_path / 'synth'
    events_cli.write_synthetic_bag(bag, seconds=0.4, seed=10)  # label times every 50 ms
    real = run_mod.open_recording

    @contextlib.contextmanager
    def stopping(*args: Any, **kwargs: Any) -> Any:
        with real(*args, **kwargs) as recording:
            messages = recording.messages

            def interrupted(*a: Any) -> Any:
                for k, item in enumerate(messages(*a)):
                    if k == 160:  # at 160 ms of 400
                        raise KeyboardInterrupt
                    yield item

            monkeypatch.setattr(recording, 'messages', interrupted)
            yield recording

    monkeypatch.setattr(run_mod, 'open_recording', stopping)
    with pytest.raises(KeyboardInterrupt):
        replay_cli.replay(bag, DET, tmp_path / 'o', labels=bag / 'labels_bbox.npy', frames=0,
                          progress=False, realtime=True, compute_scale=0.0)  # fmt: skip
    report = json.loads((tmp_path / 'o' / 'report.json').read_text())
    assert not report['complete']
    metrics = report['metrics']
    assert (metrics['label_times'], metrics['label_times_not_replayed']) == (3, 5)
    assert metrics['latency_aware']['label_times'] == 3  # 50, 100, 150 ms
    assert metrics['label_lag_ms_max'] < 1.0  # none matched with the last output, far behind


def test_header_stamps_that_never_advance_are_an_error_once_all_is_written(
    short_bag: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Arrival times come from the stamps: all equal, every message arrived at once."""
    frozen = _looped(short_bag, tmp_path / 'frozen', stamp_ns=START_NS)
    base = [str(frozen), '--no-progress', '--frames', '0']
    assert replay_cli.main([*base, '--out', str(tmp_path / 'rt'), '--realtime']) == 2
    err = capsys.readouterr().err
    assert 'all 200 messages have the same header stamp (1700000000.000000000 s)' in err
    assert err.count('\n') == 1
    report = json.loads((tmp_path / 'rt' / 'report.json').read_text())
    assert report['complete']
    assert report['evaluation']['dropped_queue_full'] > 0
    capsys.readouterr()
    assert replay_cli.main([*base, '--out', str(tmp_path / 'off')]) == 0  # offline: no matter


def test_help_says_what_the_command_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        replay_cli.main(['--help'])
    description = capsys.readouterr().out.split('\n\n')[1]
    assert description.startswith('``asynet-replay``: a recording through a checkpoint as the')
    assert '--realtime' in description
