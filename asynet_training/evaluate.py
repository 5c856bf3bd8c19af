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
    python training/evaluate.py --checkpoint asynet_ros/models/synthetic_det.pt --split test \
        --latency-aware --compute-scale 3 --mode async data.root=data/synthetic_det
    python training/evaluate.py --checkpoint runs/gen1/best.pt --split test --latency-aware \
        --lead-in-us 500000 data.root=/data/gen1

Classification: accuracy per sample and the confusion matrix. Detection: VOC mAP at IoU 0.5 (the
paper's metric) and COCO mAP@[.5:.95] (pycocotools). ``--async`` feeds each sample's events to
the asynchronous engine in ``--steps`` chunks and reports how often its final output agrees with
the batch prediction. ``--latency-aware`` adds ``latency_aware``: each label's events streamed in
``--packet-us`` packets through the live pipeline in simulated real time, on hardware
``--compute-scale`` times slower than this machine, each label scored with the newest output
available at its time (:mod:`asynet_training.latency_eval`). What is streamed: for detection
samples cut from recordings at label times (Gen1 layout: gen1, synthetic_det), the label's
recording from ``--lead-in-us`` before the label (default: from the recording's start; the
split is read a second time with that window) up to the label, from a fresh pipeline state per
label, as a live node has the recording's past behind it; the pipeline's own window (the
trained one) bounds what the model sees. A whole-recording lead-in costs a stream per label as
long as the recording up to it: on long recordings pass ``--lead-in-us``. Other samples
(classification) are whole recordings and are streamed as they are. The classic metrics always
score the trained window. ``--limit N`` evaluates the first N samples of the split.
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
from asynet_core.errors import CheckpointError, ConfigError
from asynet_core.modes import UPDATE_MODES

if TYPE_CHECKING:
    import numpy as np
    import torch

    from asynet_training.config import TrainConfig
    from asynet_training.latency_eval import LatencySettings
    from asynet_training.loop import Batch, Trainer

# numpy, torch, the models and the training modules are imported where used, after the arguments
# are parsed: `evaluate.py --help` and a usage error answer at once.

__all__ = [
    'DEFAULT_MODE',
    'DEFAULT_PACKET_US',
    'SCORE_THRESHOLD',
    'evaluate',
    'main',
]

#: Detections below this score are dropped before mAP (low: the whole precision-recall curve).
SCORE_THRESHOLD = 0.01
#: Defaults of the latency-aware options (the live node's mode, a driver's 1 ms packets).
DEFAULT_MODE = 'adaptive'
DEFAULT_PACKET_US = 1000


def _dataset(config: TrainConfig, split: str) -> Any:
    """The split, read where the config says; a missing synthetic dataset is generated first."""
    from asynet_training.data import prepare_root, READERS

    reader, _ = READERS[config.data.dataset]
    return reader(prepare_root(config.data), split, window_events=config.data.window_events,
                  window_us=config.data.window_us)  # fmt: skip


def _check_lead_in(config: TrainConfig, latency: LatencySettings) -> bool:
    """Whether the split's labels stream from a lead-in (samples cut from recordings).

    Raises:
        ConfigError: a lead-in for a dataset whose samples are whole recordings.
    """
    from asynet_training.data import READERS
    from asynet_training.latency_eval import cuts_recordings

    cut = cuts_recordings(READERS[config.data.dataset][0])
    if not cut and latency.lead_in_us is not None:
        raise ConfigError(
            f'a lead-in applies to detection samples cut from recordings (Gen1 layout); '
            f'{config.data.dataset!r} samples are whole recordings, streamed as they are'
        )
    return cut


def _stream_dataset(config: TrainConfig, split: str, lead_in_us: int | None) -> Any:
    """The split again, each sample the lead-in up to its label (see the module docstring)."""
    from asynet_training.data import READERS
    from asynet_training.latency_eval import lead_in_window

    reader, _ = READERS[config.data.dataset]
    return reader(config.data.root, split, **lead_in_window(lead_in_us))


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
    found = postprocess(
        outputs, mc.input_size, mc.num_classes, mc.num_boxes, score_threshold=SCORE_THRESHOLD
    )
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


def evaluate(
    checkpoint: Path,
    split: str,
    overrides: list[str],
    use_async: bool = False,
    steps: int = 10,
    *,
    limit: int | None = None,
    latency: LatencySettings | None = None,
) -> dict[str, Any]:
    """Metrics of a checkpoint on a split (see the module docstring).

    Args:
        checkpoint: a run's checkpoint (it carries its training config).
        split: 'train', 'val' or 'test'.
        overrides: ``key=value`` overrides of the training config.
        use_async: also check the asynchronous engine against the batch outputs.
        steps: chunks per sample for ``use_async``.
        limit: evaluate only the first ``limit`` samples (``None``: all).
        latency: also the latency-aware evaluation with these settings.

    Raises:
        CheckpointError: the checkpoint carries no training config (or cannot be loaded).
        ConfigError: a bad ``limit``; with ``latency``, whatever the live pipeline refuses, or
            a lead-in for a dataset of whole recordings.
    """
    import torch

    from asynet_core.models import load_checkpoint
    from asynet_training.config import apply_overrides, from_mapping, TrainConfig
    from asynet_training.loop import Trainer

    _check_limit(limit)
    loaded = load_checkpoint(checkpoint)
    if not isinstance(loaded.extra.get('train_config'), dict):
        raise CheckpointError(
            f'{checkpoint} carries no training config, so its dataset is unknown; evaluate a '
            "run's checkpoint or one exported from it"
        )
    values = apply_overrides(loaded.extra['train_config'], overrides)
    config: TrainConfig = from_mapping(TrainConfig, values)
    pipeline = None if latency is None else _live_pipeline(checkpoint, latency)  # fail first
    lead_in = latency is not None and _check_lead_in(config, latency)
    dataset = _dataset(config, split)
    count = len(dataset) if limit is None else min(limit, len(dataset))
    samples = [dataset[i] for i in range(count)]
    trainer = Trainer(loaded.model, loaded.config, dataset.sensor, config.loss)
    outputs = torch.cat([trainer.predict(_batch(trainer, samples[i : i + 32]))
                         for i in range(0, len(samples), 32)])  # fmt: skip
    task = _classification if loaded.config.task == 'classification' else _detection
    report = {'checkpoint': str(checkpoint), 'split': split, 'samples': len(samples),
              **task(trainer, samples, outputs)}  # fmt: skip
    if use_async and loaded.config.backbone == 'sparse':
        report.update(_async_agreement(trainer, samples, outputs, steps))
    if pipeline is not None and latency is not None:
        from asynet_training.latency_eval import latency_aware

        streams = _stream_dataset(config, split, latency.lead_in_us) if lead_in else None
        report['latency_aware'] = latency_aware(pipeline, samples, dataset.sensor, latency,
                                                streams=streams)  # fmt: skip
    return report


def _check_limit(limit: object) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ConfigError(f'limit must be a positive int or None, got {limit!r}')


def _live_pipeline(checkpoint: Path, latency: LatencySettings) -> Any:
    """The live pipeline of ``checkpoint``, one torch thread (as the node runs it)."""
    from asynet_ros.pipeline.config import limit_torch_threads
    from asynet_training.latency_eval import load_pipeline

    pipeline = load_pipeline(checkpoint, latency)
    limit_torch_threads(1)
    return pipeline


def _batch(trainer: Trainer, samples: list[Any]) -> Batch:
    from asynet_training.loop import collate

    return collate(samples, trainer.rep)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = _parser()
    args = parser.parse_intermixed_args(argv)
    _check_latency_options(parser, args)
    return run_command('evaluate.py', lambda: _main(args), debug=args.debug)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='evaluate.py', description=__doc__.split('\n')[0])
    parser.add_argument('--checkpoint', required=True, type=Path)
    parser.add_argument('--split', default='test', choices=['train', 'val', 'test'])
    parser.add_argument('--async', dest='use_async', action='store_true')
    parser.add_argument('--steps', type=int, default=10, help='chunks per sample for --async')
    parser.add_argument('--limit', type=_positive_int, help='evaluate the first N samples only')
    latency = parser.add_argument_group('latency-aware evaluation')
    latency.add_argument(
        '--latency-aware',
        action='store_true',
        help='also score the newest output a live node holds at each label',
    )
    latency.add_argument(
        '--compute-scale',
        type=_scale,
        help='hardware S times slower than this machine (default 1; 0: free)',
    )
    latency.add_argument(
        '--mode',
        choices=UPDATE_MODES,
        help=f'update mode of the live pipeline (default {DEFAULT_MODE})',
    )
    latency.add_argument(
        '--packet-us',
        type=_positive_int,
        help=f'packet length in us of sensor time (default {DEFAULT_PACKET_US})',
    )
    latency.add_argument(
        '--lead-in-us',
        type=_positive_int,
        help="detection samples cut from recordings (gen1 layout): stream each label's "
        'recording from N us before the label, fresh per label (default: from the '
        "recording's start); the pipeline's trained window bounds what the model sees",
    )
    parser.add_argument('--json', type=Path, help='also write the report here')
    parser.add_argument('overrides', nargs='*', help='key=value overrides of the training config')
    add_debug_option(parser)
    return parser


_LATENCY_OPTIONS = (('compute_scale', '--compute-scale'), ('mode', '--mode'),
                    ('packet_us', '--packet-us'), ('lead_in_us', '--lead-in-us'))  # fmt: skip


def _check_latency_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Latency options need ``--latency-aware``; fill in their defaults (no lead-in: none)."""
    given = [flag for name, flag in _LATENCY_OPTIONS if getattr(args, name) is not None]
    if given and not args.latency_aware:
        verb = 'needs' if len(given) == 1 else 'need'
        parser.error(f'{", ".join(given)} {verb} --latency-aware')
    defaults = {'compute_scale': 1.0, 'mode': DEFAULT_MODE, 'packet_us': DEFAULT_PACKET_US}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a positive integer, got {text!r}') from None
    if value < 1:
        raise argparse.ArgumentTypeError(f'expected a positive integer, got {value}')
    return value


def _scale(text: str) -> float:
    """The compute scale option (imported when given: ``--help`` stays free of numpy)."""
    from asynet_ros.realtime import compute_scale_option

    return compute_scale_option(text)


def _main(args: argparse.Namespace) -> int:
    if args.json is not None:
        check_output_file(args.json)  # before the evaluation, not after
    latency = None
    if args.latency_aware:
        from asynet_training.latency_eval import LatencySettings

        latency = LatencySettings(args.compute_scale, args.mode, args.packet_us, args.lead_in_us)
    report = evaluate(args.checkpoint, args.split, args.overrides, args.use_async, args.steps,
                      limit=args.limit, latency=latency)  # fmt: skip
    print(json.dumps(report, indent=2))
    if args.json is not None:
        write_json(args.json, report)
    return 0


if __name__ == '__main__':
    sys.exit(main())
