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

"""The pipeline on a dense-backbone checkpoint: the dense baseline of the mode comparison.

Every update is a full dense forward pass (results say ``mode='dense'``, counted as recomputes);
window, policies, stamps and post-processing are the sparse pipeline's, so its results equal the
dense model run directly on the pipeline's window through the YOLO post-processing.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from asynet_core.errors import ConfigError
from asynet_core.events import EVENT_DTYPE, SensorSize
from asynet_core.models import build_model, ModelConfig, postprocess, save_checkpoint
from asynet_core.representations import InputMapping, make_representation
from asynet_ros.event_message import EventMessage
from asynet_ros.pipeline import Pipeline, PipelineConfig, Result
from asynet_ros.pipeline.decoding import DECODED_ENCODING
from model_factory import randomise_batchnorm

SENSOR = SensorSize(304, 240)
BASE_NS = 5_000_000_000
VALUES = {'window_events': 1500, 'score_threshold': 0.0, 'iou_threshold': 0.5}


def _checkpoint(path: Path, arch: str, classes: int) -> Path:
    torch.manual_seed(5)
    config = ModelConfig(arch, classes, backbone='dense')
    model = build_model(config)
    randomise_batchnorm(model, seed=5)
    save_checkpoint(path, model, config)
    return path


@pytest.fixture(scope='module')
def detector(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _checkpoint(tmp_path_factory.mktemp('dense') / 'det.pt', 'small_det', 2)


@pytest.fixture(scope='module')
def classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _checkpoint(tmp_path_factory.mktemp('dense') / 'cls.pt', 'ncars', 3)


def _messages(n: int, per_message: int = 600) -> list[EventMessage]:
    """Decoded packets of 1 ms each: header stamp k ms, events in a blob that drifts right."""
    rng = np.random.default_rng(9)
    msgs = []
    for k in range(n):
        events = np.zeros(per_message, EVENT_DTYPE)
        events['t'] = np.sort(k * 1000 + rng.integers(0, 1000, per_message))
        events['x'] = rng.integers(60 + 10 * k, 160 + 10 * k, per_message)
        events['y'] = rng.integers(50, 190, per_message)
        events['p'] = rng.integers(0, 2, per_message)
        stamp = BASE_NS + k * 1_000_000
        msgs.append(
            EventMessage(
                stamp, 'cam', SENSOR.width, SENSOR.height, DECODED_ENCODING, events=events, seq=k
            )
        )
    return msgs


def _direct(pipeline: Pipeline, model: torch.nn.Module) -> Result:
    """The dense model on the pipeline's window, decoded outside the pipeline."""
    mc = pipeline.model_config
    mapping = InputMapping(SENSOR, mc.input_size)
    rep = make_representation(mc.representation, mapping)
    x = torch.from_numpy(rep(pipeline.window_events())).permute(2, 0, 1).unsqueeze(0)
    with torch.no_grad():
        out = model(x.contiguous())  # [1, K] or [1, Hg, Wg, C]
    if mc.task == 'classification':
        probs = torch.softmax(out[0], 0).numpy()
        return Result(0, '', 0, 0, 'direct', 0.0, probabilities=probs)
    cfg = pipeline.config
    det = postprocess(
        out,
        mc.input_size,
        mc.num_classes,
        mc.num_boxes,
        score_threshold=cfg.score_threshold,
        iou_threshold=cfg.iou_threshold,
        max_detections=cfg.max_detections,
    )[0]
    boxes = mapping.boxes_to_sensor(det.boxes.numpy())
    return Result(0, '', 0, 0, 'direct', 0.0, boxes, det.scores.numpy(), det.labels.numpy())


def _answer(result: Result) -> dict[str, object]:
    fields = ('boxes', 'scores', 'labels', 'probabilities')
    return {k: None if (v := getattr(result, k)) is None else v.tolist() for k in fields}


@pytest.mark.parametrize('task', ['detection', 'classification'])
def test_each_result_equals_the_dense_model_on_the_window(
    task: str, detector: Path, classifier: Path
) -> None:
    pipeline = Pipeline.from_checkpoint(
        detector if task == 'detection' else classifier, values=VALUES
    )
    assert pipeline.task == task
    model = pipeline.updater.engine.net
    answers = []
    for msg in _messages(6):
        (result,) = pipeline.process(msg)
        assert result.mode == 'dense'
        assert result.window_events == min(len(pipeline.window_events()), 1500)
        assert _answer(result) == _answer(_direct(pipeline, model))
        answers.append(_answer(result))
    assert len(pipeline.window_events()) == 1500  # the window slid
    key = 'boxes' if task == 'detection' else 'probabilities'
    assert answers[0][key] != answers[-1][key]
    assert len(answers[-1][key]) > 0  # type: ignore[arg-type]


def test_dense_updates_count_as_recomputes_with_the_usual_stamps(detector: Path) -> None:
    pipeline = Pipeline.from_checkpoint(detector, values={**VALUES, 'update_every_us': 500})
    msgs = _messages(4)
    results = [r for msg in msgs for r in pipeline.process(msg)] + pipeline.flush(msgs[-1])
    counters = pipeline.counters
    assert counters.updates == counters.outputs == counters.recomputes == len(results)
    assert counters.async_updates == 0
    assert len(results) >= 7  # about two per 1 ms message, the rest flushed
    assert {r.mode for r in results} == {'dense'}
    stamps = [r.stamp_ns for r in results]
    assert stamps == sorted(stamps)
    assert stamps[0] == BASE_NS + (results[0].t_us - int(msgs[0].events['t'][0])) * 1000
    assert pipeline.updater.counts == {'dense': len(results)}


@pytest.mark.parametrize('mode', ['async', 'recompute'])
def test_the_mode_is_ignored_and_said_once(
    mode: str, detector: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def run(values: dict[str, object]) -> list[dict[str, object]]:
        pipeline = Pipeline.from_checkpoint(detector, values=values)
        return [_answer(r) for msg in _messages(3) for r in pipeline.process(msg)]

    with caplog.at_level(logging.INFO, logger='asynet_ros.pipeline'):
        chosen = run({**VALUES, 'mode': mode})
    said = [r.getMessage() for r in caplog.records if 'dense-backbone' in r.getMessage()]
    assert said == [
        'dense-backbone model: every update is a full dense forward pass (mode '
        f"'{mode}' and resync_every are ignored; results say mode 'dense')"
    ]
    assert chosen == run(VALUES)  # adaptive


def test_reset_starts_the_dense_stream_again(detector: Path) -> None:
    pipeline = Pipeline.from_checkpoint(detector, values=VALUES)
    msgs = _messages(3)
    first = [_answer(r) for msg in msgs for r in pipeline.process(msg)]
    pipeline.reset()
    assert not pipeline.updater.engine.current_map().any()
    assert [_answer(r) for msg in msgs for r in pipeline.process(msg)] == first


def test_another_backbone_is_still_refused() -> None:
    config = ModelConfig('ncars', 2, backbone='dense')
    odd = dataclasses.replace(config)
    object.__setattr__(odd, 'backbone', 'graph')  # past ModelConfig's own check
    with pytest.raises(ConfigError, match=r"unknown backbone 'graph'; valid choices"):
        Pipeline(build_model(config), odd, PipelineConfig())
