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

"""Evaluate a checkpoint on a dataset split; optionally check the asynchronous engine against it.

Run (the checkpoint's training config names the dataset; ``key=value`` overrides it)::

    python training/evaluate.py --checkpoint runs/synthetic_cls/best.pt --split test
    python training/evaluate.py --checkpoint runs/ncars/best.pt --split test data.root=/data/ncars
    python training/evaluate.py --checkpoint runs/synthetic_cls/best.pt --split test --async

Classification: accuracy per sample and the confusion matrix. Detection: VOC mAP at IoU 0.5 (the
paper's metric) and COCO mAP@[.5:.95] (pycocotools). ``--async`` feeds each sample's events to
the asynchronous engine in ``--steps`` chunks and reports how often its final output agrees with
the batch prediction.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import json
import math
from pathlib import Path
import sys
from typing import Any, TYPE_CHECKING

if __package__ in (None, ''):  # run as a script: python training/evaluate.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asynet_core.cli import add_debug_option, check_output_file, run_command, write_json
from asynet_core.errors import CheckpointError

if TYPE_CHECKING:
    import numpy as np
    import torch

    from asynet_training.config import TrainConfig
    from asynet_training.loop import Batch, Trainer

# numpy, torch, the models and the training modules are imported where used, after the arguments
# are parsed: `evaluate.py --help` and a usage error answer at once.

__all__ = ['evaluate', 'main']


def _dataset(config: TrainConfig, split: str) -> Any:
    from asynet_training.data import READERS

    reader, _ = READERS[config.data.dataset]
    return reader(config.data.root, split, window_events=config.data.window_events,
                  window_us=config.data.window_us)  # fmt: skip


def _xyxy(boxes: torch.Tensor) -> np.ndarray:
    import numpy as np

    b = boxes.numpy()
    return np.stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]], axis=1)


def _classification(trainer: Trainer, samples: list[Any], outputs: torch.Tensor) -> dict[str, Any]:
    import numpy as np

    from asynet_training.metrics import confusion_matrix

    labels = np.array([s.label for s in samples])
    predicted = outputs.argmax(1).numpy()
    matrix = confusion_matrix(labels, predicted, trainer.config.num_classes)
    return {'accuracy': float((labels == predicted).mean()), 'confusion_matrix': matrix.tolist()}


def _detection(trainer: Trainer, samples: list[Any], outputs: torch.Tensor) -> dict[str, Any]:
    from asynet_core.models import postprocess
    from asynet_training.loop import scale_boxes
    from asynet_training.metrics import coco_map, voc_map

    mc = trainer.config
    found = postprocess(outputs, mc.input_size, mc.num_classes, mc.num_boxes, score_threshold=0.01)
    dets, truths = [], []
    for i, (sample, det) in enumerate(zip(samples, found, strict=True)):
        for box, label, score in zip(det.boxes.numpy(), det.labels.tolist(), det.scores.tolist(),
                                     strict=True):  # fmt: skip
            dets.append((i, label, score, box))
        gt = scale_boxes(sample.boxes, trainer.rep.mapping)
        truths += [(i, int(c), b) for c, b in zip(gt[:, 4].tolist(), _xyxy(gt), strict=True)]
    mean, per_class = voc_map(dets, truths, mc.num_classes)
    coco = coco_map(dets, truths, mc.num_classes, len(samples))
    return {'voc_map50': mean, 'voc_ap50_per_class': per_class, 'coco_map50_95': coco}


def _async_agreement(trainer: Trainer, samples: list[Any], outputs: torch.Tensor,
                     steps: int) -> dict[str, float]:  # fmt: skip
    """Fraction of samples whose engine output, events fed in chunks, matches the batch one."""
    import numpy as np

    from asynet_core.stream import EventStream

    agree, worst = 0, 0.0
    for sample, out in zip(samples, outputs, strict=True):
        stream = EventStream.from_model(trainer.model, trainer.rep.mapping.sensor,
                                        window_events=max(len(sample.events), 1))  # fmt: skip
        for chunk in np.array_split(sample.events, steps):
            result = stream.push(chunk)[0]
        err = float((result - out).abs().max() / out.abs().max().clamp_min(1e-12))
        if not math.isfinite(err):  # NaN against NaN is no agreement
            err = math.inf
        worst = max(worst, err)
        same = bool(result.argmax() == out.argmax()) if out.dim() == 1 else err <= 1e-4
        agree += same and math.isfinite(err)
    return {'async_agreement': agree / max(len(samples), 1), 'async_max_rel_err': worst}


def evaluate(checkpoint: Path, split: str, overrides: list[str], use_async: bool = False,
             steps: int = 10) -> dict[str, Any]:  # fmt: skip
    """Metrics of a checkpoint on a split (see the module docstring)."""
    import torch

    from asynet_core.models import load_checkpoint
    from asynet_training.config import apply_overrides, from_mapping, TrainConfig
    from asynet_training.loop import Trainer

    loaded = load_checkpoint(checkpoint)
    if not isinstance(loaded.extra.get('train_config'), dict):
        raise CheckpointError(
            f'{checkpoint} carries no training config, so its dataset is unknown; evaluate a '
            "run's checkpoint or one exported from it"
        )
    values = apply_overrides(loaded.extra['train_config'], overrides)
    config: TrainConfig = from_mapping(TrainConfig, values)
    dataset = _dataset(config, split)
    samples = [dataset[i] for i in range(len(dataset))]
    trainer = Trainer(loaded.model, loaded.config, dataset.sensor, config.loss)
    outputs = torch.cat([trainer.predict(_batch(trainer, samples[i : i + 32]))
                         for i in range(0, len(samples), 32)])  # fmt: skip
    task = _classification if loaded.config.task == 'classification' else _detection
    report = {'checkpoint': str(checkpoint), 'split': split, 'samples': len(samples),
              **task(trainer, samples, outputs)}  # fmt: skip
    if use_async and loaded.config.backbone == 'sparse':
        report.update(_async_agreement(trainer, samples, outputs, steps))
    return report


def _batch(trainer: Trainer, samples: list[Any]) -> Batch:
    from asynet_training.loop import collate

    return collate(samples, trainer.rep)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog='evaluate.py', description=__doc__.split('\n')[0])
    parser.add_argument('--checkpoint', required=True, type=Path)
    parser.add_argument('--split', default='test', choices=['train', 'val', 'test'])
    parser.add_argument('--async', dest='use_async', action='store_true')
    parser.add_argument('--steps', type=int, default=10, help='chunks per sample for --async')
    parser.add_argument('--json', type=Path, help='also write the report here')
    parser.add_argument('overrides', nargs='*', help='key=value overrides of the training config')
    add_debug_option(parser)
    args = parser.parse_intermixed_args(argv)
    return run_command('evaluate.py', lambda: _main(args), debug=args.debug)


def _main(args: argparse.Namespace) -> int:
    if args.json is not None:
        check_output_file(args.json)  # before the evaluation, not after
    report = evaluate(args.checkpoint, args.split, args.overrides, args.use_async, args.steps)
    print(json.dumps(report, indent=2))
    if args.json is not None:
        write_json(args.json, report)
    return 0


if __name__ == '__main__':
    sys.exit(main())
