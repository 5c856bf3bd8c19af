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

"""The ROS-free pipeline: update policies, exactness across modes, and every bad-input counter.

Live and replay paths share :class:`Pipeline`, so its bad-input cases cover the node,
``asynet-detect`` and ``asynet-replay`` alike: the bad message is dropped, one named counter goes
up, one log line names the problem and the counter, and the next good message gives an output.
Checkpoints it cannot use fail with a typed error that names the file. Fuzzed messages
(``test/helpers/fuzzing.py``) never make it raise.
"""

from __future__ import annotations

import functools
import itertools
import logging
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
import numpy as np
import pytest
import torch

from asynet_benchmarks.overload_dds import make_pool
from asynet_core.errors import CheckpointError
from asynet_core.events import EVENT_DTYPE, SensorSize
from asynet_core.models import load_checkpoint, ModelConfig, save_checkpoint, SparseVGG
from asynet_ros import bundled_checkpoint
from asynet_ros import bundled_checkpoint as bundled_detector
from asynet_ros.encoders import (
    encode_mono,
    Evt3Encoder,
)
from asynet_ros.event_message import (
    DVS_ENCODING,
    EventMessage,
)
from asynet_ros.pipeline import Pipeline, PipelineConfig
import fuzzing
from model_factory import make_model

SENSOR = SensorSize(304, 240)


def _events(n: int, t0: int, rng: np.random.Generator, span_us: int = 10_000) -> np.ndarray:
    ev = np.zeros(n, dtype=EVENT_DTYPE)
    ev['x'] = rng.integers(100, 180, n)
    ev['y'] = rng.integers(80, 150, n)
    ev['p'] = rng.integers(0, 2, n)
    ev['t'] = np.sort(rng.integers(t0, t0 + span_us, n))
    return ev


def _msg(events: np.ndarray, stamp_ns: int = 10**18, sensor: SensorSize = SENSOR) -> EventMessage:
    return EventMessage(stamp_ns, 'cam', sensor.width, sensor.height, DVS_ENCODING, events=events)


def _pipeline(task: str = 'detection', **config: object) -> Pipeline:
    arch, classes = ('small_det', 2) if task == 'detection' else ('ncars', 3)
    model = make_model(arch, torch.float32, num_classes=classes)
    settings = {'window_events': 2000, 'score_threshold': 0.0, **config}
    config = PipelineConfig(**settings)  # type: ignore[arg-type]
    return Pipeline(model, ModelConfig(arch, classes), config)


def _stream(rng: np.random.Generator, messages: int = 6, n: int = 700) -> list[np.ndarray]:
    return [_events(n, 10_000 * i, rng) for i in range(messages)]


def test_one_output_per_message_by_default(rng: np.random.Generator) -> None:
    pipe = _pipeline()
    outs = [pipe.process(_msg(ev)) for ev in _stream(rng)]
    assert [len(o) for o in outs] == [1] * 6
    last = outs[-1][0]
    assert last.window_events == 2000
    assert last.frame_id == 'cam'
    assert last.boxes is not None
    assert last.boxes.shape[1] == 4
    assert pipe.counters.events == 6 * 700
    assert pipe.counters.outputs == 6


@pytest.mark.parametrize('mode', ['async', 'recompute', 'adaptive'])
def test_modes_agree(mode: str) -> None:
    def run(way: str) -> list[torch.Tensor]:
        pipe = _pipeline(mode=way)
        res = [pipe.process(_msg(ev))[0] for ev in _stream(np.random.default_rng(1))]
        return [torch.from_numpy(r.scores) for r in res]

    for got, want in zip(run(mode), run('async'), strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_update_every_n_events_splits_and_carries_over(rng: np.random.Generator) -> None:
    pipe = _pipeline(update_every_events=500)
    outs = [len(pipe.process(_msg(ev))) for ev in _stream(rng, messages=3)]  # 2100 events
    assert sum(outs) == 4
    assert outs == [1, 1, 2]
    assert len(pipe.flush()) == 1  # the 100 events left


def test_update_every_us(rng: np.random.Generator) -> None:
    pipe = _pipeline(update_every_us=5_000)
    results = [r for ev in _stream(rng, messages=4) for r in pipe.process(_msg(ev))]
    assert len(results) == 7  # boundaries every 5 ms over ~40 ms
    assert all(b.t_us < a.t_us for b, a in itertools.pairwise(results))


def test_stamp_follows_sensor_time_within_a_message(rng: np.random.Generator) -> None:
    pipe = _pipeline(update_every_events=350)
    ev = _events(700, 0, rng)
    first, second = pipe.process(_msg(ev, stamp_ns=5_000_000_000))
    assert first.stamp_ns == 5_000_000_000 + (int(ev['t'][349]) - int(ev['t'][0])) * 1000
    assert second.stamp_ns == 5_000_000_000 + (int(ev['t'][-1]) - int(ev['t'][0])) * 1000


def test_time_going_back_resets_to_a_fresh_stream(rng: np.random.Generator) -> None:
    stream = _stream(rng, messages=3)
    pipe = _pipeline()
    for ev in stream:
        pipe.process(_msg(ev))
    again = pipe.process(_msg(stream[0]))[0]  # a looped bag
    assert pipe.counters.time_resets == 1
    fresh = _pipeline().process(_msg(stream[0]))[0]
    np.testing.assert_allclose(again.scores, fresh.scores, rtol=1e-5)
    assert again.window_events == 700


def test_small_step_back_is_clamped(rng: np.random.Generator) -> None:
    pipe = _pipeline()
    ev = _events(100, 10_000, rng)
    pipe.process(_msg(ev))
    late = ev.copy()
    late['t'] = int(ev['t'][-1]) - 500  # 0.5 ms back: within the 1 ms tolerance
    assert len(pipe.process(_msg(late))) == 1
    assert pipe.counters.clamped_events == 100
    assert pipe.counters.time_resets == 0


def test_unsorted_message_is_sorted(rng: np.random.Generator) -> None:
    pipe = _pipeline()
    ev = _events(300, 0, rng)[::-1].copy()
    assert len(pipe.process(_msg(ev))) == 1
    assert pipe.counters.unsorted_messages == 1


def test_bad_messages_are_counted_and_the_stream_goes_on(
    rng: np.random.Generator, caplog: pytest.LogCaptureFixture
) -> None:
    pipe = _pipeline()
    good = _stream(rng, messages=2)
    with caplog.at_level(logging.WARNING):
        assert pipe.process(_msg(good[0]))
        bad_encoding = EventMessage(0, 'cam', 304, 240, 'evt4', payload=b'\x00\x00')
        assert pipe.process(bad_encoding) == []
        truncated = EventMessage(0, 'cam', 304, 240, 'evt3', payload=b'\x00\x80\x01')
        assert pipe.process(truncated) == []
        assert pipe.process(EventMessage(0, 'cam', 0, 240, 'evt3', payload=b'')) == []
        assert pipe.process(_msg(good[0][:0])) == []
        outside = good[1].copy()
        outside['x'][:10] = 400
        assert pipe.process(_msg(outside))
    c = pipe.counters
    assert (c.unknown_encoding, c.decode_errors, c.bad_sensor_size, c.empty_messages) == (
        1,
        1,
        1,
        1,
    )
    assert c.dropped_out_of_range == 10
    assert c.outputs == 2
    text = caplog.text
    assert "unknown encoding 'evt4'" in text
    assert 'counter unknown_encoding=1' in text
    assert 'counter decode_errors=1' in text
    assert 'sensor size 0x240 is not in [1, 65536]' in text
    assert 'dropped 10 events outside the 304x240 sensor' in text


def test_sensor_size_change_restarts_the_stream(rng: np.random.Generator) -> None:
    pipe = _pipeline()
    pipe.process(_msg(_events(500, 0, rng)))
    out = pipe.process(_msg(_events(300, 20_000, rng), sensor=SensorSize(640, 480)))[0]
    assert pipe.counters.sensor_changes == 1
    assert out.window_events == 300
    assert pipe.sensor == SensorSize(640, 480)


def test_process_batch_matches_sequential_processing(rng: np.random.Generator) -> None:
    stream = _stream(rng)
    one = _pipeline()
    for ev in stream:
        last = one.process(_msg(ev))[-1]
    batched = _pipeline()
    batched.process(_msg(stream[0]))
    out = batched.process_batch([_msg(ev) for ev in stream[1:]])
    assert len(out) == 1
    assert batched.counters.updates == 2
    np.testing.assert_allclose(out[0].scores, last.scores, rtol=1e-4, atol=1e-5)


def test_classification_results_are_probabilities(rng: np.random.Generator) -> None:
    pipe = _pipeline('classification')
    out = pipe.process(_msg(_events(500, 0, rng)))[0]
    assert out.probabilities is not None
    assert out.boxes is None
    assert out.probabilities.shape == (3,)
    assert out.probabilities.sum() == pytest.approx(1.0)


def test_stamps_never_step_back_when_header_and_sensor_clocks_disagree(
    rng: np.random.Generator,
) -> None:
    pipe = _pipeline()
    first = _events(300, 0, rng, span_us=4000)  # 4 ms of sensor time
    second = _events(300, 4000, rng, span_us=100)
    a = pipe.process(_msg(first, stamp_ns=10**18))[0]
    b = pipe.process(_msg(second, stamp_ns=10**18 + 3_000_000))[0]  # header only 3 ms later
    assert a.stamp_ns == 10**18 + (int(first['t'][-1]) - int(first['t'][0])) * 1000
    raw = 10**18 + 3_000_000 + (int(second['t'][-1]) - int(second['t'][0])) * 1000
    assert raw < a.stamp_ns  # the plain sum would step back
    assert b.stamp_ns == a.stamp_ns


def test_a_rejected_message_of_another_size_keeps_the_stream(rng: np.random.Generator) -> None:
    pipe = _pipeline()
    pipe.process(_msg(_events(1500, 0, rng)))
    bad = EventMessage(0, 'cam', 640, 480, DVS_ENCODING, events=None)  # no events: rejected
    assert pipe.process(bad) == []
    empty = _msg(_events(0, 0, rng), sensor=SensorSize(640, 480))
    assert pipe.process(empty) == []
    assert pipe.sensor == SENSOR
    assert pipe.counters.sensor_changes == 0
    assert len(pipe.window_events()) == 1500  # nothing accepted was lost


def test_batch_is_stamped_by_its_newest_accepted_message(rng: np.random.Generator) -> None:
    pipe = _pipeline()
    good = _msg(_events(300, 0, rng), stamp_ns=5 * 10**9)
    rejected = EventMessage(9 * 10**12, 'other', 304, 240, 'evt2', payload=b'\x00\x00')
    (out,) = pipe.process_batch([good, rejected])
    assert out.frame_id == 'cam'
    assert out.stamp_ns < 6 * 10**9


def test_time_policy_crosses_a_long_gap_at_once(rng: np.random.Generator) -> None:
    pipe = _pipeline(update_every_us=10)
    pipe.process(_msg(_events(50, 0, rng, span_us=100)))
    later = _events(50, 50_000_000, rng, span_us=100)  # 50 s later: 5 million boundaries
    outs = pipe.process(_msg(later))
    assert 1 <= len(outs) <= 11


def test_event_packet_seq_gaps_are_counted_and_a_restart_is_not(tmp_path: object) -> None:
    from pathlib import Path

    from asynet_ros.bag import EventBag
    from asynet_tools.events import write_synthetic_bag

    bag = Path(str(tmp_path)) / 'bag'
    write_synthetic_bag(bag, seconds=0.03, seed=1)
    with EventBag(bag) as opened:
        msgs = [m for _, m in opened.event_messages()]
    assert [m.seq for m in msgs[:3]] == [0, 1, 2]
    pipe = Pipeline.from_checkpoint(bundled_detector())
    for msg in msgs[:5] + msgs[8:10] + msgs[11:15]:  # 3 lost, then 1 lost
        pipe.process(msg)
    assert (pipe.counters.seq_gaps, pipe.counters.lost_messages) == (2, 4)
    pipe.skip([msgs[15]])  # dropped by a live queue: decoded, its seq seen
    pipe.process(msgs[16])
    assert pipe.counters.lost_messages == 4
    pipe.process(msgs[0])  # the driver restarted (a looped bag): no gap
    assert (pipe.counters.seq_gaps, pipe.counters.lost_messages) == (2, 4)
    pipe.reset()
    pipe.process(msgs[20])
    assert pipe.counters.seq_gaps == 2  # a reset forgets the last seq


# -- bad input: every case a user can hit, each with its message pinned ---------------------------

W, H = 304, 240


@pytest.fixture
def pipe() -> Pipeline:
    model = make_model('small_det', torch.float32, num_classes=2)
    config = PipelineConfig(window_events=1000, mode='async')
    return Pipeline(model, ModelConfig('small_det', 2), config)


def _seeded_events(n: int, t0: int, seed: int = 0) -> np.ndarray:
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
            0, 'cam', W, H, 'mono', payload=encode_mono(_seeded_events(2, 0), 0)[:12]
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
        lambda enc: _evt3(_seeded_events(50, 6000, 1), enc, width=200),
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
    assert len(pipe.process(_evt3(_seeded_events(500, 0), encoder))) == 1
    before = pipe.counters.to_dict()
    with caplog.at_level(logging.WARNING):
        pipe.process(make_bad(encoder))
    after = pipe.counters.to_dict()
    assert after[counter] > before[counter]
    if text is not None:
        assert text in caplog.text
        assert f'counter {counter}=' in caplog.text
    good = pipe.process(_evt3(_seeded_events(500, 20_000, 2), encoder))
    assert len(good) == 1, f'no output after {case}'


def test_time_going_back_resets_and_a_restart_matches_a_fresh_stream(pipe: Pipeline) -> None:
    messages = [_evt3(_seeded_events(400, 10_000 * i, i)) for i in range(4)]
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
    pipe.process(_evt3(_seeded_events(300, 0)))
    with caplog.at_level(logging.WARNING):
        out = pipe.process(_evt3(_seeded_events(300, 10_000), width=640, height=480))
    assert len(out) == 1
    assert pipe.counters.sensor_changes == 1
    assert 'sensor size changed from 304x240 to 640x480: stream restarted' in caplog.text


def test_checkpoint_missing(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r'checkpoint file .*nope\.pt does not exist'):
        Pipeline.from_checkpoint(tmp_path / 'nope.pt')


def test_checkpoint_corrupt(tmp_path: Path) -> None:
    broken = tmp_path / 'broken.pt'
    broken.write_bytes(bundled_checkpoint().read_bytes()[:5000])
    with pytest.raises(CheckpointError, match='corrupt or truncated file'):
        Pipeline.from_checkpoint(broken)


class _Payload:
    """Unpickling it would call print: a checkpoint must never run code."""

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


@pytest.mark.parametrize(('skip', 'resets'), [(False, 1), (True, 0)])
def test_skipping_a_dropped_packet_keeps_the_evt3_time(skip: bool, resets: int) -> None:
    pool = make_pool(200_000.0)
    k = next(
        i
        for i in range(1, len(pool) - 1)
        if len(pool.high_words[i]) and not len(pool.high_words[i + 1])
    )
    msgs = [pool.event_message(i) for i in range(k + 2)]
    pipeline = Pipeline.from_checkpoint(bundled_checkpoint())
    for msg in msgs[:k]:
        pipeline.process(msg)
    if skip:  # what the live queue does with a message it drops
        pipeline.skip([msgs[k]])
    pipeline.process(msgs[k + 1])  # no TIME_HIGH of its own: relies on the one in packet k
    assert pipeline.counters.time_resets == resets
    assert pipeline.counters.messages == k + 1


# -- fuzzed messages (test/helpers/fuzzing.py) ----------------------------------------------------


@functools.cache
def shared_pipeline() -> Pipeline:
    """One pipeline for the module (building the engine takes seconds); reset per example.

    ``mode='async'``: message handling is the same in every mode, and the adaptive mode's
    first update after each (frequent) stream restart is a full recompute, too slow here.
    """
    model = make_model('small_det', torch.float32, num_classes=2)
    config = PipelineConfig(window_events=2000, mode='async')
    return Pipeline(model, ModelConfig('small_det', 2), config)


def new_pipeline() -> Pipeline:
    """The shared pipeline with its stream forgotten (the counters go on: compare deltas)."""
    pipe = shared_pipeline()
    pipe.reset()
    return pipe


def good_message(seq: int) -> EventMessage:
    """A valid mono message of 200 events in the W x H sensor of :mod:`fuzzing`."""
    events = fuzzing.synthetic_events(seq, 200, t0=10**9 + 10_000 * seq)
    time_base = int(events['t'][0]) * 1000
    payload = encode_mono(events, time_base)
    return EventMessage(
        seq, 'cam', fuzzing.W, fuzzing.H, 'mono', payload, time_base_ns=time_base, seq=seq
    )


def process_checked(pipe: Pipeline, msg: EventMessage) -> int:
    """Process one message; check the counters; the number of outputs."""
    before = pipe.counters.to_dict()
    with fuzzing.watchdog():
        results = pipe.process(msg)
    after = pipe.counters.to_dict()
    rejected = sum(after[name] - before[name] for name in fuzzing.REJECTIONS)
    assert after['messages'] == before['messages'] + 1
    assert (rejected, len(results)) in ((1, 0), (0, 1)), (msg, after)
    assert after['outputs'] - before['outputs'] == len(results)
    return len(results)


@fuzzing.SLOW_FUZZ
@given(
    garbage=st.lists(fuzzing.garbage_message(), min_size=1, max_size=4), seed=st.integers(0, 99)
)
def test_pipeline_never_raises_and_goes_on(garbage: list[EventMessage], seed: int) -> None:
    pipe = new_pipeline()
    first = pipe.counters.messages
    for msg in garbage:
        process_checked(pipe, msg)
    assert process_checked(pipe, good_message(seed)) == 1  # the stream continues
    assert pipe.counters.messages - first == len(garbage) + 1


def test_pipeline_counts_a_sensor_wider_than_uint16() -> None:
    pipe = new_pipeline()
    msg = good_message(0)
    wide = EventMessage(0, 'cam', 70_000, fuzzing.H, 'mono', msg.payload, msg.time_base_ns)
    before = pipe.counters.bad_sensor_size
    assert process_checked(pipe, wide) == 0
    assert pipe.counters.bad_sensor_size == before + 1


def test_a_coalesced_batch_gathers_only_what_can_enter_the_window(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live backlog of 6 x 700 events into a 2000-event window: only 2000 are gathered."""
    from asynet_ros.pipeline import pipeline as module

    batches = [[_msg(ev) for ev in _stream(np.random.default_rng(7))] for _ in range(2)]
    gathered: list[int] = []
    real = module.concatenate_events

    def counting(chunks):
        out = real(chunks)
        gathered.append(len(out))
        return out

    trimmed = _pipeline()
    monkeypatch.setattr(module, 'concatenate_events', counting)
    got = trimmed.process_batch(batches[0])
    monkeypatch.setattr(module, 'concatenate_events', real)
    assert gathered
    assert max(gathered) <= 2000  # 4200 before: all six messages were gathered
    whole = _pipeline()
    monkeypatch.setattr(
        'asynet_core.window.SlidingWindow.entering', lambda self, chunks: list(chunks)
    )
    want = whole.process_batch(batches[1])
    assert len(got) == len(want) == 1
    np.testing.assert_array_equal(got[0].scores, want[0].scores)
    np.testing.assert_array_equal(got[0].boxes, want[0].boxes)
    assert trimmed.counters.events == whole.counters.events == 6 * 700
    assert got[0].window_events == want[0].window_events == 2000
