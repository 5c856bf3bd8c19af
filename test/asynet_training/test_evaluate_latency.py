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

"""``evaluate.py --latency-aware``: each label scored with the newest output available in time.

On small synthetic splits and the bundled checkpoints: free compute reproduces the final output
of each label's stream (for detection, the recording from its lead-in up to the label), slow
compute scores stale (or no) outputs, the lead-in gives outputs in time where the trained window
alone cannot, the report's fields, and the usage errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from asynet_core.errors import ConfigError
from asynet_core.events import SensorSize
from asynet_ros import bundled_checkpoint
from asynet_ros.pipeline import Pipeline
from asynet_training.datasets import Gen1, NCaltech101
from asynet_training.evaluate import evaluate, main
from asynet_training.latency_eval import (
    cuts_recordings,
    latency_aware,
    LatencySettings,
    lead_in_window,
    load_pipeline,
    match_labels,
    sample_packets,
    score_outputs,
    stream_sample,
)
from asynet_training.synthetic import (
    SHAPE_CLASSES,
    write_synthetic_classification,
    write_synthetic_detection,
)

DET_SAMPLES = 3  # of the 4 label times of one recording
LATENCY_KEYS = {'samples', 'labels', 'labels_matched', 'age_ms_p50', 'age_ms_p99', 'outputs',
                'output_rate_hz', 'compute_scale', 'mode', 'packet_us', 'final', 'stream',
                'lead_in_us'}  # fmt: skip


@pytest.fixture(scope='module')
def det_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp('det')
    write_synthetic_detection(root, layout='gen1', num_train=1, num_val=1, num_test=1, seed=7)
    return root


@pytest.fixture(scope='module')
def cls_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp('cls')
    write_synthetic_classification(root, layout='ncaltech101', classes=SHAPE_CLASSES,
                                   num_train=1, num_val=1, num_test=1, seed=7)  # fmt: skip
    return root


def _det_samples(root: Path) -> tuple[list[Any], SensorSize]:
    dataset = Gen1(root, 'test', window_events=5000)  # the bundled detector's window
    return [dataset[i] for i in range(DET_SAMPLES)], dataset.sensor


def _lead_ins(root: Path, lead_in_us: int | None) -> list[Any]:
    """The recording from the lead-in up to each of the first labels."""
    dataset = Gen1(root, 'test', **lead_in_window(lead_in_us))
    return [dataset[i] for i in range(DET_SAMPLES)]


def _final_outputs(pipeline: Pipeline, samples: list[Any], sensor: SensorSize) -> list[Any]:
    """Each stream's packets through the pipeline one by one, no clock: the last output."""
    finals = []
    for sample in samples:
        pipeline.reset()
        results = [r for m in sample_packets(sample.events, sensor, 1000)
                   for r in pipeline.process(m)]  # fmt: skip
        finals.append(results[-1])
    return finals


# -- (1) free compute: the final output of the stream ----------------------------------------
#
# With a compute scale of 0 every update costs nothing, so the worker is idle whenever a packet
# arrives: each packet is its own update, available at its newest event. At the label time (at
# or after the stream's last event) every output is available, and the newest is that of the
# last packet, which has seen all of the stream's events: the latency-aware score is the offline
# score of the async stream's final output per label. For detection the stream is the label's
# recording from its lead-in (the pipeline's 5000-event window bounds what the model sees of it),
# scored against the classic samples' boxes.


@pytest.mark.parametrize('lead_in_us', [None, 30_000])
def test_free_compute_scores_each_streams_final_detections(
    det_root: Path, lead_in_us: int | None
) -> None:
    samples, sensor = _det_samples(det_root)
    streams = _lead_ins(det_root, lead_in_us)
    settings = LatencySettings(compute_scale=0.0, mode='async', lead_in_us=lead_in_us)
    pipeline = load_pipeline(bundled_checkpoint(), settings)
    report = evaluate(bundled_checkpoint(), 'test', [f'data.root={det_root}'],
                      limit=DET_SAMPLES, latency=settings)  # fmt: skip
    finals = _final_outputs(pipeline, streams, sensor)
    expected = score_outputs(samples, finals, 'detection', 2)
    assert expected['voc_map50'] > 0.0  # the detector finds the shapes: a score to compare
    aware = report['latency_aware']
    assert aware['voc_map50'] == expected['voc_map50']
    assert aware['coco_map50_95'] == expected['coco_map50_95']
    assert aware['final']['voc_map50'] == expected['voc_map50']
    assert aware['labels_matched'] == aware['labels'] == DET_SAMPLES
    assert (aware['stream'], aware['lead_in_us']) == ('recording', lead_in_us)
    timed = [stream_sample(pipeline, s.events, sensor, 1000, lambda *_: 0.0) for s in streams]
    assert aware['outputs'] == sum(map(len, timed))  # one per packet of each label's stream
    for sample, match in zip(streams, match_labels(samples, timed, 'detection'), strict=True):
        assert match.t_us == sample.t_us  # the Gen1 label time the stream ends at
        assert match.timed is not None
        assert match.timed.result.t_us == int(sample.events['t'][-1])


@pytest.mark.parametrize('lead_in_us', [None, 30_000, 80_000])
def test_a_lead_in_is_the_recording_up_to_each_label(
    det_root: Path, lead_in_us: int | None
) -> None:
    samples, _ = _det_samples(det_root)
    whole = _lead_ins(det_root, None)
    for sample, stream, full in zip(samples, _lead_ins(det_root, lead_in_us), whole, strict=True):
        assert stream.t_us == sample.t_us == full.t_us
        first_t_us = -1 if lead_in_us is None else sample.t_us - lead_in_us
        assert np.array_equal(stream.events, full.events[full.events['t'] > first_t_us])
        assert np.array_equal(full.events[-len(sample.events) :], sample.events)  # its end
    assert len(whole[0].events) < len(whole[-1].events)  # each from the recording's start


def test_free_compute_classifies_with_each_streams_final_output(cls_root: Path) -> None:
    checkpoint = bundled_checkpoint('synthetic_cls')
    settings = LatencySettings(compute_scale=0.0, mode='adaptive')
    report = evaluate(checkpoint, 'test', [f'data.root={cls_root}'], limit=3, latency=settings)
    dataset = NCaltech101(cls_root, 'test', window_events=3000)
    samples = [dataset[i] for i in range(3)]
    finals = _final_outputs(load_pipeline(checkpoint, settings), samples, dataset.sensor)
    right = [
        int(np.argmax(r.probabilities)) == s.label for r, s in zip(finals, samples, strict=True)
    ]
    aware = report['latency_aware']
    assert aware['accuracy'] == pytest.approx(np.mean(right))
    assert aware['labels_matched'] == len(samples) == report['samples']
    assert aware['age_ms_p99'] == 0.0  # a classification label is the sample's last event


# -- (2) slow compute: stale or no outputs ------------------------------------------------------


def test_slow_compute_scores_stale_detections_lower(det_root: Path) -> None:
    # 45 ms per update (the bundled detector's 1-2 ms updates on hardware ~30x slower): the first
    # packet's output is ready 45 ms after its events, the next only after the 50 ms windows end,
    # so each label gets the output of the window's first millisecond, about 49 ms old
    samples, sensor = _det_samples(det_root)
    settings = LatencySettings(compute_scale=0.0, mode='async')
    pipeline = load_pipeline(bundled_checkpoint(), settings)
    slow = latency_aware(pipeline, samples, sensor, settings, cost=lambda *_: 0.045)
    assert slow['labels_matched'] == DET_SAMPLES
    assert slow['age_ms_p50'] > 45.0
    assert slow['voc_map50'] < slow['final']['voc_map50']
    assert slow['coco_map50_95'] < slow['final']['coco_map50_95']


def test_a_lead_in_has_outputs_in_time_where_the_window_alone_has_none(det_root: Path) -> None:
    # 60 ms per update: streamed alone, a ~50 ms window's first output comes after its label.
    # Streamed from the recording's start (t = 0, labels at 50, 100 and 150 ms), the first
    # output is ready at ~61 ms: too late for the 50 ms label, in time for the next two
    samples, sensor = _det_samples(det_root)
    settings = LatencySettings(compute_scale=0.0, mode='async')
    pipeline = load_pipeline(bundled_checkpoint(), settings)
    cost = lambda *_: 0.060  # noqa: E731
    alone = latency_aware(pipeline, samples, sensor, settings, cost=cost)
    assert alone['labels_matched'] == 0
    assert alone['voc_map50'] == 0.0
    assert (alone['stream'], alone['lead_in_us']) == ('sample', None)
    streams = _lead_ins(det_root, None)
    assert [s.t_us for s in samples] == [50_000, 100_000, 150_000]
    lead = latency_aware(pipeline, samples, sensor, settings, cost=cost, streams=streams)
    assert lead['labels_matched'] == 2
    assert lead['voc_map50'] > 0.0
    assert lead['age_ms_p50'] > 60.0  # still stale: one update per 60 ms
    assert (lead['stream'], lead['lead_in_us']) == ('recording', None)


def test_no_output_in_time_counts_as_a_wrong_class(cls_root: Path) -> None:
    # a million times slower: the first update ends seconds after the 50 ms samples
    report = evaluate(bundled_checkpoint('synthetic_cls'), 'test', [f'data.root={cls_root}'],
                      latency=LatencySettings(compute_scale=1e6))  # fmt: skip
    aware = report['latency_aware']
    assert report['accuracy'] > 0.0
    assert aware['final']['accuracy'] > 0.0
    assert aware['labels_matched'] == 0
    assert aware['accuracy'] == 0.0
    assert aware['age_ms_p50'] is None
    matrix = np.array(aware['confusion_matrix'])  # the last column: no output in time
    assert matrix.shape == (5, 6)
    assert matrix[:, -1].sum() == matrix.sum() == report['samples']


# -- (3) the report --------------------------------------------------------------------------


def test_report_fields_classification(cls_root: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out = tmp_path / 'report.json'
    argv = ['--checkpoint', str(bundled_checkpoint('synthetic_cls')), '--split', 'test',
            '--limit', '2', '--latency-aware', '--compute-scale', '0', '--mode', 'async',
            '--packet-us', '2000', '--json', str(out), f'data.root={cls_root}']  # fmt: skip
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == report
    assert {'accuracy', 'confusion_matrix', 'samples'} <= report.keys()  # the classic metrics
    aware = report['latency_aware']
    assert aware.keys() == LATENCY_KEYS | {'accuracy', 'confusion_matrix'}
    assert aware['samples'] == aware['labels'] == report['samples'] == 2
    assert (aware['compute_scale'], aware['mode'], aware['packet_us']) == (0.0, 'async', 2000)
    assert (aware['stream'], aware['lead_in_us']) == ('sample', None)  # whole recordings
    assert aware['outputs'] >= 2
    assert aware['output_rate_hz'] > 0.0


@pytest.mark.parametrize(
    ('extra', 'lead_in_us'), [([], None), (['--lead-in-us', '20000'], 20_000)]
)
def test_report_fields_detection(det_root: Path, capsys: pytest.CaptureFixture[str],
                                 extra: list[str], lead_in_us: int | None) -> None:  # fmt: skip
    argv = ['--checkpoint', str(bundled_checkpoint()), '--limit', '1', '--latency-aware',
            *extra, f'data.root={det_root}']  # fmt: skip
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)  # pycocotools' lines kept off stdout
    assert {'voc_map50', 'voc_ap50_per_class', 'coco_map50_95'} <= report.keys()
    aware = report['latency_aware']
    assert aware.keys() == LATENCY_KEYS | {'voc_map50', 'voc_ap50_per_class', 'coco_map50_95'}
    assert (aware['compute_scale'], aware['mode'], aware['packet_us']) == (1.0, 'adaptive', 1000)
    assert (aware['stream'], aware['lead_in_us']) == ('recording', lead_in_us)


@pytest.mark.parametrize(('dataset', 'cut'), [('gen1', True), ('synthetic_det', True),
                                              ('ncaltech101_det', False), ('ncars', False),
                                              ('synthetic_cls', False)])  # fmt: skip
def test_only_gen1_samples_are_cut_from_recordings(dataset: str, cut: bool) -> None:
    from asynet_training.data import READERS

    assert cuts_recordings(READERS[dataset][0]) is cut


def test_packets_are_a_drivers(det_root: Path) -> None:
    samples, sensor = _det_samples(det_root)
    events = samples[0].events
    packets = sample_packets(events, sensor, 1000)
    assert np.array_equal(np.concatenate([m.events for m in packets]), events)
    for seq, msg in enumerate(packets):
        slots = set((msg.events['t'] // 1000).tolist())
        assert len(slots) == 1
        assert msg.seq == seq
        assert msg.stamp_ns == int(msg.events['t'][0]) * 1000
        assert (msg.width, msg.height) == (sensor.width, sensor.height)


# -- (4) errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(('extra', 'message'), [
    (['--compute-scale', '3'], '--compute-scale needs --latency-aware'),
    (['--mode', 'async', '--packet-us', '500'], '--mode, --packet-us need --latency-aware'),
    (['--latency-aware', '--compute-scale', '-1'], 'compute scale must be a finite number >= 0'),
    (['--latency-aware', '--compute-scale', 'nan'], 'compute scale must be a finite number >= 0'),
    (['--latency-aware', '--compute-scale', 'inf'], 'compute scale must be a finite number >= 0'),
    (['--latency-aware', '--compute-scale', 'fast'], "expected a number, got 'fast'"),
    (['--latency-aware', '--packet-us', '0'], 'expected a positive integer, got 0'),
    (['--latency-aware', '--packet-us', '1.5'], "expected a positive integer, got '1.5'"),
    (['--latency-aware', '--mode', 'dense'], "invalid choice: 'dense'"),
    (['--limit', '0'], 'expected a positive integer, got 0'),
    (['--lead-in-us', '5000'], '--lead-in-us needs --latency-aware'),
    (['--latency-aware', '--lead-in-us', '0'], 'expected a positive integer, got 0'),
    (['--latency-aware', '--lead-in-us', '-5'], 'expected a positive integer, got -5'),
])  # fmt: skip
def test_usage_errors(extra: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(['--checkpoint', 'missing.pt', *extra])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(('kwargs', 'message'), [
    ({'compute_scale': -0.5}, 'compute scale must be a finite number >= 0'),
    ({'compute_scale': float('nan')}, 'compute scale must be a finite number >= 0'),
    ({'compute_scale': True}, 'compute_scale must be a number'),
    ({'mode': 'fast'}, "unknown mode 'fast'"),
    ({'packet_us': 0}, 'packet_us must be a positive int'),
    ({'packet_us': 1.5}, 'packet_us must be a positive int'),
    ({'lead_in_us': 0}, 'lead_in_us must be a positive int'),
    ({'lead_in_us': 2.5}, 'lead_in_us must be a positive int'),
    ({'lead_in_us': True}, 'lead_in_us must be a positive int'),
])  # fmt: skip
def test_bad_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LatencySettings(**kwargs)


def test_a_bad_limit_is_refused() -> None:
    with pytest.raises(ConfigError, match='limit must be a positive int'):
        evaluate(bundled_checkpoint(), 'test', [], limit=0)


def test_a_checkpoint_the_pipeline_refuses_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def refuse(cls: type, path: object, *args: object, **kwargs: object) -> Pipeline:
        raise ConfigError(f'{path}: the pipeline cannot run this model')

    monkeypatch.setattr(Pipeline, 'from_checkpoint', classmethod(refuse))
    # an empty data root: the refusal comes before any data is read
    argv = ['--checkpoint', str(bundled_checkpoint()), '--latency-aware',
            f'data.root={tmp_path}']  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert (
        err == f'evaluate.py: error: {bundled_checkpoint()}: the pipeline cannot run this model\n'
    )


def test_a_lead_in_for_whole_recordings_is_one_line(
    cls_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ['--checkpoint', str(bundled_checkpoint('synthetic_cls')), '--latency-aware',
            '--lead-in-us', '20000', f'data.root={cls_root}']  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith('evaluate.py: error: a lead-in applies to detection samples cut from')
    assert "'synthetic_cls' samples are whole recordings" in err


def test_streams_that_do_not_follow_the_samples_are_refused(det_root: Path) -> None:
    samples, sensor = _det_samples(det_root)
    streams = _lead_ins(det_root, None)
    settings = LatencySettings(compute_scale=0.0, mode='async')
    pipeline = load_pipeline(bundled_checkpoint(), settings)
    with pytest.raises(ConfigError, match='stream 0 ends at 100000 us but its sample is labelled '
                                          'at 50000 us'):  # fmt: skip
        latency_aware(pipeline, samples[:2], sensor, settings, streams=streams[1:])
    with pytest.raises(ConfigError, match='2 streams for 3 samples'):
        latency_aware(pipeline, samples, sensor, settings, streams=streams[:2])
    with pytest.raises(ConfigError, match='lead_in_us=20000 needs streams'):
        latency_aware(pipeline, samples, sensor, LatencySettings(lead_in_us=20_000))
    with pytest.raises(ConfigError, match='lead_in_us must be a positive int, got 0'):
        lead_in_window(0)
