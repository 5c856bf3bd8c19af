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

"""The ROS-free pipeline: update policies, exactness across modes, and every bad-input counter."""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pytest
import torch

from asynet_core.errors import ConfigError
from asynet_core.events import EVENT_DTYPE, SensorSize
from asynet_core.models import ModelConfig
from asynet_core.representations import InputMapping
from asynet_ros import bundled_checkpoint as bundled_detector
from asynet_ros.event_message import DVS_ENCODING, EventMessage
from asynet_ros.pipeline import Pipeline, PipelineConfig
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


def test_boxes_map_back_to_sensor_pixels() -> None:
    mapping = InputMapping(SensorSize(304, 240), (120, 152))  # both axes halved
    boxes = np.array([[10.0, 20.0, 30.0, 40.0], [0.0, 0.0, 160.0, 130.0]], dtype=np.float32)
    got = mapping.boxes_to_sensor(boxes)
    np.testing.assert_allclose(got[0], [20, 40, 60, 80])
    np.testing.assert_allclose(got[1], [0, 0, 304, 240])  # clipped to the sensor
    same = InputMapping(SensorSize(100, 80), (120, 152))  # smaller sensor: identity
    np.testing.assert_allclose(same.boxes_to_sensor(boxes[:1]), boxes[:1])


@pytest.mark.parametrize(
    ('kwargs', 'match'),
    [
        ({'window_events': None}, 'exactly one of window_events or window_us'),
        ({'window_events': 0}, 'window_events must be a positive int'),
        ({'update_every_events': 5, 'update_every_us': 5}, 'at most one of update_every'),
        ({'mode': 'eager'}, "unknown mode 'eager'"),
        ({'score_threshold': 1.5}, r'score_threshold must be in \[0, 1\]'),
        ({'iou_threshold': 'x'}, 'iou_threshold must be a number'),
        ({'resync_every': -1}, 'resync_every must be an int >= 0'),
    ],
)
def test_config_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        PipelineConfig(**kwargs)  # type: ignore[arg-type]


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
