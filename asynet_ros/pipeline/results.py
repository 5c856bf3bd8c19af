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

"""Model outputs to :class:`Result` s: class probabilities, or detections in sensor pixels."""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from asynet_core.models import ModelConfig
from asynet_core.models.yolo import postprocess
from asynet_core.representations import InputMapping
from asynet_ros.pipeline.config import PipelineConfig, Result

__all__ = ['ResultHead', 'build_result']


@dataclass(frozen=True)
class ResultHead:
    """What a result says besides the model's answer (see :class:`Result`)."""

    stamp_ns: int
    frame_id: str
    t_us: int
    window_events: int
    mode: str


def build_result(
    out: torch.Tensor,
    head: ResultHead,
    model: ModelConfig,
    config: PipelineConfig,
    mapping: InputMapping,
    elapsed: Callable[[], float],
) -> Result:
    """The :class:`Result` of one model output; ``elapsed()`` gives its ``compute_s`` at the end.

    Classification: the softmax. Detection: YOLO decoding and NMS with ``config``'s thresholds,
    the boxes mapped back from input cells to sensor pixels by ``mapping``.
    """
    common = dataclasses.asdict(head)
    if model.task == 'classification':
        probs = torch.softmax(out.reshape(-1).float(), 0).cpu().numpy().astype(np.float32)
        return Result(**common, compute_s=elapsed(), probabilities=probs)
    det = postprocess(
        out.reshape(1, *out.shape[-3:]).cpu(),
        model.input_size,
        model.num_classes,
        model.num_boxes,
        score_threshold=config.score_threshold,
        iou_threshold=config.iou_threshold,
        max_detections=config.max_detections,
    )[0]
    boxes = mapping.boxes_to_sensor(det.boxes.numpy())
    return Result(
        **common,
        compute_s=elapsed(),
        boxes=boxes,
        scores=det.scores.numpy().astype(np.float32),
        labels=det.labels.numpy().astype(np.int64),
    )
