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

"""The input mapping is said once per sensor size; a sensor far from training's is a warning."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from asynet_core.events import EVENT_DTYPE, SensorSize
from asynet_core.models import ModelConfig
from asynet_core.representations import InputMapping
from asynet_ros.event_message import DVS_ENCODING, EventMessage
from asynet_ros.pipeline import Pipeline, PipelineConfig
from asynet_ros.pipeline.mapping import describe_mapping
from model_factory import make_model

INPUT = (223, 287)  # small_det's (rows, cols)


@pytest.mark.parametrize(
    ('sensor', 'level', 'words'),
    [
        ((304, 240), logging.INFO, 'x * 0.944, y * 0.929; trained on 304x240'),
        ((346, 260), logging.INFO, 'trained on 304x240'),
        ((640, 480), logging.WARNING, 'objects look 2.1x smaller'),
        ((1280, 720), logging.WARNING, 'objects look 3.6x smaller'),
        ((64, 48), logging.INFO, 'x * 1, y * 1; trained on 304x240'),  # kept: same pixel size
    ],
)
def test_the_mapping_names_sizes_scales_and_the_apparent_object_size(sensor, level, words):
    note = describe_mapping(InputMapping(SensorSize(*sensor), INPUT), (304, 240))
    assert note.level == level
    assert f'input {sensor[0]}x{sensor[1]} -> model input 287x223 cells' in note.text
    assert words in note.text
    if level == logging.WARNING:
        assert f'a checkpoint trained at about {sensor[0]}x{sensor[1]}' in note.text
    assert note.details['sensor'] == list(sensor)
    assert note.details['trained_on'] == [304, 240]


def test_a_checkpoint_without_its_sensor_still_states_the_mapping():
    note = describe_mapping(InputMapping(SensorSize(640, 480), INPUT), None)
    assert note.level == logging.INFO
    assert 'does not name its sensor' in note.text
    assert note.details['object_size_vs_training'] is None


class _Lines(logging.Handler):
    """Collects the records logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _message(sensor: SensorSize, t0: int, rng: np.random.Generator) -> EventMessage:
    ev = np.zeros(300, dtype=EVENT_DTYPE)
    ev['x'] = rng.integers(0, sensor.width, 300)
    ev['y'] = rng.integers(0, sensor.height, 300)
    ev['t'] = np.sort(rng.integers(t0, t0 + 1000, 300))
    return EventMessage(
        10**18 + t0 * 1000, 'cam', sensor.width, sensor.height, DVS_ENCODING, events=ev
    )


def test_the_pipeline_says_it_once_per_sensor_size(rng: np.random.Generator):
    logger = logging.getLogger('test_mapping.pipeline')
    logger.setLevel(logging.DEBUG)
    lines = _Lines()
    logger.addHandler(lines)
    try:
        model = make_model('small_det', torch.float32, num_classes=2)
        config = ModelConfig('small_det', 2, sensor_size=(304, 240))
        pipe = Pipeline(model, config, PipelineConfig(window_events=500), logger=logger)
        big, small = SensorSize(640, 480), SensorSize(304, 240)
        for i, sensor in enumerate([big, big, big, small, small, big]):
            pipe.process(_message(sensor, 1000 * i, rng))
    finally:
        logger.removeHandler(lines)
    said = [r for r in lines.records if 'model input' in r.getMessage()]
    assert [r.levelno for r in said] == [logging.WARNING, logging.INFO]
    assert pipe.input_mapping is not None
    assert pipe.input_mapping['sensor'] == [640, 480]
