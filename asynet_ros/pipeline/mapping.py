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

"""What a model sees of a sensor: the input mapping, said once when a stream starts.

A model trained on one sensor runs on any other: :class:`~asynet_core.representations.InputMapping`
keeps a shorter axis and floor-scales a longer one onto the model input. That is right for a
sensor of the training size and silently wrong for a very different one (objects several times
smaller or larger than any the model saw), so the mapping is stated, and a large change of
apparent object size against the training sensor is a warning that says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
import logging
from typing import Any

from asynet_core.events import SensorSize
from asynet_core.representations import InputMapping

__all__ = ['SCALE_TOLERANCE', 'MappingNote', 'describe_mapping']

#: Apparent object size may differ from training by this factor (either way) without a warning.
SCALE_TOLERANCE = 1.5


@dataclass(frozen=True)
class MappingNote:
    """The mapping of one sensor onto the model input, and how to log it."""

    level: int
    text: str
    details: dict[str, Any]


def _scale(sensor: SensorSize, mapping: InputMapping) -> tuple[float, float]:
    return InputMapping(sensor, mapping.input_size).scale


def describe_mapping(mapping: InputMapping, trained_on: tuple[int, int] | None) -> MappingNote:
    """The mapping of ``mapping.sensor`` onto the model input, against the training sensor.

    Args:
        mapping: the stream's input mapping.
        trained_on: (width, height) of the sensor the model was trained on, when the checkpoint
            says it (``ModelConfig.sensor_size``).
    """
    sensor, (rows, cols) = mapping.sensor, mapping.input_size
    sx, sy = mapping.scale
    text = (
        f'input {sensor.width}x{sensor.height} -> model input {cols}x{rows} cells: '
        f'x * {sx:.3g}, y * {sy:.3g}'
    )
    details: dict[str, Any] = {
        'sensor': [sensor.width, sensor.height],
        'model_input': [cols, rows],
        'scale': [sx, sy],
        'trained_on': list(trained_on) if trained_on else None,
        'object_size_vs_training': None,
    }
    if not trained_on:
        return MappingNote(
            logging.INFO, f'{text} (the checkpoint does not name its sensor)', details
        )
    tx, ty = _scale(SensorSize(*trained_on), mapping)
    ratio = ((sx / tx) * (sy / ty)) ** 0.5  # apparent object size here / in training
    details['object_size_vs_training'] = ratio
    text += f'; trained on {trained_on[0]}x{trained_on[1]}'
    if 1 / SCALE_TOLERANCE <= ratio <= SCALE_TOLERANCE:
        return MappingNote(logging.INFO, text, details)
    look = f'{1 / ratio:.1f}x smaller' if ratio < 1 else f'{ratio:.1f}x larger'
    return MappingNote(
        logging.WARNING,
        f'{text}: objects look {look} to the model than in training, which it may not '
        f'recognise; use a checkpoint trained at about {sensor.width}x{sensor.height}, or crop '
        'or scale the input to the training sensor',
        details,
    )
