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

"""Writers of the synthetic datasets in the on-disk layouts of the real ones, and the CLI.

Writers produce the trees that :mod:`asynet_training.datasets` reads (N-Cars ``.dat``, the EST
N-Caltech101 ``.npy`` tree, Gen1 ``*_td.dat`` + ``*_bbox.npy``, N-Caltech101 ``.bin`` +
annotation), so the real readers are tested and small models can be trained without any download.
Every sample draws from its own generator seeded by ``(seed, split, class, index)``, so a seed
gives byte-identical files. The N-Caltech101 detection layout moves the shape along the recording
saccade (the motion the reader compensates boxes for) and annotates the box at rest.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
import json
from pathlib import Path
from typing import Any

import numpy as np

from asynet_core.cli import add_debug_option, new_files_removed_on_error, run_command
from asynet_core.events import SensorSize
from asynet_training import formats
from asynet_training.errors import DatasetConfigError
from asynet_training.synthetic.shapes import (
    _check_common,
    _check_positive,
    _SPLIT_CODES,
    CLS_LAYOUTS,
    DET_LAYOUTS,
    make_background_sample,
    make_classification_sample,
    make_detection_sample,
    SHAPE_CLASSES,
)

__all__ = [
    'GEN1_SHAPE_CLASSES',
    'main',
    'write_synthetic_classification',
    'write_synthetic_detection',
    'write_synthetic_ncars',
]


# --------------------------------------------------------------------------- writers

_Maker = Callable[[np.random.Generator], np.ndarray]

_SPLIT_DIRS = {
    'ncars': {'train': 'n-cars_train', 'test': 'n-cars_test'},
    'ncaltech101': {'train': 'training', 'val': 'validation', 'test': 'testing'},
    'gen1': {'train': 'train', 'val': 'val', 'test': 'test'},
}
_DEFAULT_SENSOR = {
    'ncars': SensorSize(120, 100),
    'ncaltech101': SensorSize(240, 180),
    'gen1': SensorSize(304, 240),
    'ncaltech101_det': SensorSize(240, 180),
}
#: Shapes of a synthetic Gen1-layout dataset: class_id 0 (Gen1's car) and 1 (pedestrian).
GEN1_SHAPE_CLASSES = ('circle', 'square')
_GEN1_NUM_CLASSES = 2
_NCALTECH_BIN_LIMIT = SensorSize(256, 240)  # x, y are bytes; y = 240 marks a time overflow


def _sample_rng(seed: int, split: str, group: int, index: int) -> np.random.Generator:
    """The generator of one sample: independent of every other sample's count or order."""
    return np.random.default_rng([seed, _SPLIT_CODES[split], group, index])


def _check_layout(layout: str, valid: tuple[str, ...]) -> None:
    if layout not in valid:
        raise DatasetConfigError(f'unknown layout {layout!r}; valid choices: {list(valid)}')


def _check_seed(seed: int) -> None:
    _check_positive('seed', seed, 0)


def _check_classes(classes: Sequence[str] | None) -> tuple[str, ...]:
    names = tuple(SHAPE_CLASSES if classes is None else classes)
    unknown = [name for name in names if name not in SHAPE_CLASSES]
    if unknown or not names or len(set(names)) != len(names):
        raise DatasetConfigError(
            f'classes must be distinct names from {list(SHAPE_CLASSES)}, got {list(names)}'
        )
    return tuple(sorted(names))


def _split_counts_of(layout: str, counts: dict[str, int]) -> dict[str, int]:
    for split, count in counts.items():
        _check_positive(f'num_{split}', count, 0)
    allowed = _SPLIT_DIRS.get(layout, _SPLIT_CODES)
    extra = [split for split, count in counts.items() if count and split not in allowed]
    if extra:
        raise DatasetConfigError(
            f'layout {layout!r} has no {extra[0]!r} split; use num_{extra[0]}=0'
        )
    if not any(counts.values()):
        raise DatasetConfigError('nothing to write: every split count is 0')
    return {split: count for split, count in counts.items() if count}


def _shape_maker(cls_index: int, sensor: SensorSize, num_events: int, duration_us: int) -> _Maker:
    def make(rng: np.random.Generator) -> np.ndarray:
        return make_classification_sample(
            cls_index, sensor, num_events, rng, duration_us=duration_us
        )

    return make


def _class_makers(
    layout: str,
    classes: Sequence[str] | None,
    car_shape: str,
    sensor: SensorSize,
    num_events: int,
    duration_us: int,
) -> dict[str, _Maker]:
    """Folder name -> sample maker, folders sorted."""
    if layout == 'ncars':
        if classes is not None:
            raise DatasetConfigError("layout 'ncars' has fixed classes; choose car_shape instead")
        (car,) = _check_classes([car_shape])
        return {
            'background': lambda rng: make_background_sample(
                sensor, num_events, rng, duration_us=duration_us
            ),
            'cars': _shape_maker(SHAPE_CLASSES.index(car), sensor, num_events, duration_us),
        }
    return {
        name: _shape_maker(SHAPE_CLASSES.index(name), sensor, num_events, duration_us)
        for name in _check_classes(classes)
    }


def _write_cls_file(layout: str, path: Path, events: np.ndarray, sensor: SensorSize) -> None:
    if layout == 'ncars':
        formats.write_dat(path, events, width=sensor.width, height=sensor.height)
    else:
        formats.write_est_npy(path, events)


def _cls_file_name(layout: str, index: int) -> str:
    return f'obj_{index:06d}_td.dat' if layout == 'ncars' else f'image_{index + 1:04d}.npy'


def _manifest(root: Path, task: str, layout: str, seed: int, sensor: SensorSize) -> dict[str, Any]:
    return {
        'root': str(root),
        'task': task,
        'layout': layout,
        'seed': seed,
        'sensor': [sensor.width, sensor.height],
        'classes': [],
        'counts': {},
        'files': [],
    }


def write_synthetic_classification(
    root: str | Path,
    *,
    layout: str = 'ncaltech101',
    classes: Sequence[str] | None = None,
    num_train: int = 8,
    num_val: int = 0,
    num_test: int = 4,
    seed: int = 0,
    sensor: SensorSize | None = None,
    num_events: int = 3000,
    duration_us: int = 50_000,
    car_shape: str = 'square',
) -> dict[str, Any]:
    """Write a classification dataset of moving shapes in the layout of a real dataset.

    Layouts: ``'ncaltech101'`` (EST tree ``root/{training,validation,testing}/<class>/*.npy``,
    classes = ``classes``) and ``'ncars'`` (``root/n-cars_{train,test}/{background,cars}/*.dat``;
    ``cars`` holds ``car_shape``, ``background`` holds clutter; no validation split).

    Args:
        root: dataset root, created if missing; existing files of the same names are replaced.
            After an error or an interrupt the files this call added are removed again.
        layout: one of :data:`CLS_LAYOUTS`.
        classes: shape names (default all of :data:`SHAPE_CLASSES`); not for ``'ncars'``.
        num_train: samples per class in the training split.
        num_val: samples per class in the validation split.
        num_test: samples per class in the test split.
        seed: non-negative seed; the same seed writes byte-identical files.
        sensor: sensor size (default: the real dataset's).
        num_events: events per sample.
        duration_us: time span of each sample.
        car_shape: the shape of the ``cars`` class of the ``'ncars'`` layout.

    Returns:
        A manifest: root, task, layout, seed, sensor ``[width, height]``, classes (folder names,
        sorted), counts ``{split: {class: n}}`` and files (paths relative to root, sorted).

    Raises:
        DatasetConfigError: an unknown layout, class or split, or a bad count, seed or sensor.
    """
    _check_layout(layout, CLS_LAYOUTS)
    _check_seed(seed)
    sensor = _DEFAULT_SENSOR[layout] if sensor is None else sensor
    _check_common(sensor, num_events, duration_us, 0.0)
    counts = _split_counts_of(layout, {'train': num_train, 'val': num_val, 'test': num_test})
    makers = _class_makers(layout, classes, car_shape, sensor, num_events, duration_us)
    root = Path(root)
    manifest = _manifest(root, 'cls', layout, seed, sensor)
    manifest['classes'] = list(makers)
    with new_files_removed_on_error(root):
        for split, count in counts.items():
            manifest['counts'][split] = dict.fromkeys(makers, count)
            for group, (name, make) in enumerate(makers.items()):
                folder = root / _SPLIT_DIRS[layout][split] / name
                folder.mkdir(parents=True, exist_ok=True)
                for index in range(count):
                    path = folder / _cls_file_name(layout, index)
                    events = make(_sample_rng(seed, split, group, index))
                    _write_cls_file(layout, path, events, sensor)
                    manifest['files'].append(path.relative_to(root).as_posix())
    manifest['files'].sort()
    return manifest


def write_synthetic_ncars(
    root: str | Path,
    num_train: int,
    num_test: int,
    seed: int,
    sensor: SensorSize = _DEFAULT_SENSOR['ncars'],
    num_events: int = 3000,
    car_shape: str = 'square',
) -> dict[str, Any]:
    """Write an N-Cars-like tree: ``num_train`` / ``num_test`` samples per class (``.dat``).

    See :func:`write_synthetic_classification` (``layout='ncars'``) for the layout and manifest.
    """
    return write_synthetic_classification(
        root,
        layout='ncars',
        num_train=num_train,
        num_val=0,
        num_test=num_test,
        seed=seed,
        sensor=sensor,
        num_events=num_events,
        car_shape=car_shape,
    )


def _det_classes(layout: str, classes: Sequence[str] | None) -> tuple[tuple[str, ...], np.ndarray]:
    if layout == 'gen1':
        names = _check_classes(GEN1_SHAPE_CLASSES if classes is None else classes)
        if len(names) > _GEN1_NUM_CLASSES:
            raise DatasetConfigError(
                f"layout 'gen1' has {_GEN1_NUM_CLASSES} class ids (car, pedestrian), got "
                f'{len(names)} classes {list(names)}'
            )
    else:
        names = _check_classes(classes)
    return names, np.array([SHAPE_CLASSES.index(name) for name in names], dtype=np.int64)


def _write_gen1_recording(
    root: Path, split: str, index: int, seed: int, options: dict[str, Any]
) -> tuple[list[Path], int]:
    rng = _sample_rng(seed, split, 0, index)
    shape_ids = options['shape_ids']
    picks = rng.integers(0, len(shape_ids), size=options['num_objects'])  # dataset class ids
    times = options['label_interval_us'] * np.arange(1, options['num_labels'] + 1)
    events, boxes = make_detection_sample(
        options['sensor'],
        options['num_objects'],
        options['num_events'],
        times,
        rng,
        class_ids=shape_ids[picks].tolist(),
    )
    boxes['class_id'] = np.searchsorted(shape_ids, boxes['class_id'])
    folder = root / _SPLIT_DIRS['gen1'][split]
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f'synthetic_{index:05d}'
    sensor = options['sensor']
    formats.write_dat(f'{stem}_td.dat', events, width=sensor.width, height=sensor.height)
    formats.write_gen1_bbox(f'{stem}_bbox.npy', boxes)
    return [Path(f'{stem}_td.dat'), Path(f'{stem}_bbox.npy')], len(boxes)


def _box_corners(box: np.void) -> np.ndarray:
    x0, y0 = round(float(box['x'])), round(float(box['y']))
    x1, y1 = round(float(box['x'] + box['w'])), round(float(box['y'] + box['h']))
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.int64)  # TL TR BR BL


def _write_caltech_sample(
    root: Path, name: str, group: int, index: int, seed: int, options: dict[str, Any]
) -> list[Path]:
    rng = _sample_rng(seed, 'train', group, index)
    events, boxes = make_detection_sample(
        options['sensor'],
        1,
        options['num_events'],
        [0],
        rng,
        class_ids=[SHAPE_CLASSES.index(name)],
        motion='saccade',
    )
    paths = [
        root / 'Caltech101' / name / f'image_{index + 1:04d}.bin',
        root / 'Caltech101_annotations' / name / f'annotation_{index + 1:04d}.bin',
    ]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
    formats.write_ncaltech_bin(paths[0], events)
    formats.write_ncaltech_annotation(paths[1], _box_corners(boxes[0]))
    return paths


def _check_bin_sensor(sensor: SensorSize) -> None:
    limit = _NCALTECH_BIN_LIMIT
    if sensor.width > limit.width or sensor.height > limit.height:
        raise DatasetConfigError(
            f"layout 'ncaltech101_det' stores x and y in one byte (y = 240 is reserved): the "
            f'sensor must be at most {limit.width}x{limit.height}, got '
            f'{sensor.width}x{sensor.height}'
        )


def write_synthetic_detection(
    root: str | Path,
    *,
    layout: str = 'gen1',
    classes: Sequence[str] | None = None,
    num_train: int = 2,
    num_val: int = 1,
    num_test: int = 1,
    seed: int = 0,
    sensor: SensorSize | None = None,
    num_objects: int = 2,
    num_events: int = 20_000,
    num_labels: int = 4,
    label_interval_us: int = 50_000,
) -> dict[str, Any]:
    """Write a detection dataset of moving shapes in the layout of a real dataset.

    ``'gen1'``: ``root/{train,val,test}/synthetic_NNNNN_td.dat`` + ``..._bbox.npy``, one
    recording per file with ``num_objects`` shapes of random classes, ``num_events`` events and
    boxes at ``label_interval_us * (1 .. num_labels)``; the count arguments are files per split
    and ``class_id`` is the index in the sorted ``classes`` (at most 2, as the Gen1 reader knows
    only car and pedestrian; default circle = 0, square = 1). ``'ncaltech101_det'``:
    ``root/Caltech101/<class>/image_NNNN.bin`` + ``root/Caltech101_annotations/<class>/
    annotation_NNNN.bin``, one shape per sample moving along the 300 ms recording saccade, the
    annotation giving its box at rest; ``num_train + num_val + num_test`` samples per class in
    one tree (the reader splits it); ``num_objects``, ``num_labels`` and ``label_interval_us``
    are unused.

    Args:
        root: dataset root, created if missing; existing files of the same names are replaced.
            After an error or an interrupt the files this call added are removed again.
        layout: one of :data:`DET_LAYOUTS`.
        classes: shape names (default all of :data:`SHAPE_CLASSES`; gen1: circle, square).
        num_train: training files (gen1) or samples per class (ncaltech101_det).
        num_val: validation files or samples per class.
        num_test: test files or samples per class.
        seed: non-negative seed; the same seed writes byte-identical files.
        sensor: sensor size (default: the real dataset's).
        num_objects: shapes per gen1 recording.
        num_events: events per file.
        num_labels: label times per gen1 recording.
        label_interval_us: time between gen1 label times.

    Returns:
        A manifest: root, task, layout, seed, sensor, classes, counts (``{split: {'files': n,
        'boxes': m}}`` for gen1, ``{'all': {class: n}}`` for ncaltech101_det) and files.

    Raises:
        DatasetConfigError: an unknown layout or class, or a bad count, seed or sensor.
    """
    _check_layout(layout, DET_LAYOUTS)
    _check_seed(seed)
    sensor = _DEFAULT_SENSOR[layout] if sensor is None else sensor
    _check_common(sensor, num_events, 2, 0.0)
    for name, value in (('num_objects', num_objects), ('num_labels', num_labels)):
        _check_positive(name, value)
    _check_positive('label_interval_us', label_interval_us)
    counts = _split_counts_of(layout, {'train': num_train, 'val': num_val, 'test': num_test})
    names, shape_ids = _det_classes(layout, classes)
    root = Path(root)
    manifest = _manifest(root, 'det', layout, seed, sensor)
    manifest['classes'] = list(names)
    options = {
        'sensor': sensor,
        'num_events': num_events,
        'num_objects': num_objects,
        'num_labels': num_labels,
        'label_interval_us': label_interval_us,
        'shape_ids': shape_ids,
    }
    if layout != 'gen1':
        _check_bin_sensor(sensor)
    with new_files_removed_on_error(root):
        if layout == 'gen1':
            _write_gen1(root, counts, seed, options, manifest)
        else:
            _write_caltech(root, sum(counts.values()), seed, options, manifest)
    manifest['files'] = sorted(Path(p).relative_to(root).as_posix() for p in manifest['files'])
    return manifest


def _write_gen1(
    root: Path,
    counts: dict[str, int],
    seed: int,
    options: dict[str, Any],
    manifest: dict[str, Any],
) -> None:
    for split, count in counts.items():
        boxes = 0
        for index in range(count):
            paths, num_boxes = _write_gen1_recording(root, split, index, seed, options)
            manifest['files'] += paths
            boxes += num_boxes
        manifest['counts'][split] = {'files': count, 'boxes': boxes}


def _write_caltech(
    root: Path, count: int, seed: int, options: dict[str, Any], manifest: dict[str, Any]
) -> None:
    for group, name in enumerate(manifest['classes']):
        for index in range(count):
            manifest['files'] += _write_caltech_sample(root, name, group, index, seed, options)
    manifest['counts']['all'] = dict.fromkeys(manifest['classes'], count)


# --------------------------------------------------------------------------- command line


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f'expected an integer, got {text!r}') from err
    if value < 0:
        raise argparse.ArgumentTypeError(f'expected an integer >= 0, got {value}')
    return value


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError('expected an integer >= 1, got 0')
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='python -m asynet_training.synthetic',
        description='Write a synthetic moving-shapes dataset in the layout of a real one.',
    )
    add = parser.add_argument
    add('--out', required=True, type=Path, help='dataset root to write')
    add('--task', required=True, choices=('cls', 'det'))
    add('--layout', required=True, choices=CLS_LAYOUTS + DET_LAYOUTS)
    add('--seed', type=_non_negative, default=0)
    add('--train', type=_non_negative, default=8, help='per class (cls), files (gen1)')
    add('--val', type=_non_negative, default=0)
    add('--test', type=_non_negative, default=4)
    add('--width', type=_positive, help='sensor width (default: the real dataset)')
    add('--height', type=_positive, help='sensor height (default: the real dataset)')
    add('--events', type=_positive, help='events per sample or file')
    add('--classes', help=f'comma-separated subset of {",".join(SHAPE_CLASSES)}')
    add('--car-shape', default='square', choices=SHAPE_CLASSES, help='ncars: the cars class')
    add('--objects', type=_positive, default=2, help='gen1: shapes per recording')
    add_debug_option(parser)
    return parser


def _cli_options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, Any]:
    valid = CLS_LAYOUTS if args.task == 'cls' else DET_LAYOUTS
    if args.layout not in valid:
        parser.error(f'--layout {args.layout} is not a {args.task} layout; choose from {valid}')
    if (args.width is None) != (args.height is None):
        parser.error('give both --width and --height, or neither')
    options: dict[str, Any] = {
        'layout': args.layout,
        'seed': args.seed,
        'num_train': args.train,
        'num_val': args.val,
        'num_test': args.test,
    }
    if args.width is not None:
        options['sensor'] = SensorSize(args.width, args.height)
    if args.events is not None:
        options['num_events'] = args.events
    if args.classes is not None:
        options['classes'] = [name.strip() for name in args.classes.split(',') if name.strip()]
    if args.task == 'cls' and args.layout == 'ncars':
        options['car_shape'] = args.car_shape
    if args.task == 'det' and args.layout == 'gen1':
        options['num_objects'] = args.objects
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; prints the manifest (without the file list) as JSON.

    Returns:
        0 on success; argparse exits with status 2 on bad arguments.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    options = _cli_options(args, parser)
    write = write_synthetic_classification if args.task == 'cls' else write_synthetic_detection
    return run_command(
        'synthetic', lambda: _write(parser, write, args.out, options), debug=args.debug
    )


def _write(
    parser: argparse.ArgumentParser,
    write: Callable[..., dict[str, Any]],
    out: Path,
    options: dict[str, Any],
) -> int:
    try:
        manifest = write(out, **options)
    except DatasetConfigError as err:  # a bad argument: argparse's usage line and exit code 2
        parser.error(str(err))
    summary = {key: value for key, value in manifest.items() if key != 'files'}
    summary['num_files'] = len(manifest['files'])
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
