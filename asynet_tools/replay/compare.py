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

"""``asynet-replay-compare``: which update mode scores best at which hardware speed.

::

    asynet-replay-compare BAG --labels L.npy --out DIR [--checkpoint C] [--dense-checkpoint D]
        [--modes async recompute adaptive] [--compute-scale 1 3 10] [--topic T] [--overwrite]

Replays one labelled recording once per update mode offline (one update per message, compute
time ignored: the classic score) and once per compute scale in simulated real time (each update
costs its measured time times the scale, and an output counts from when its update ends: the
latency-aware score; see :mod:`asynet_ros.realtime`). A dense checkpoint, when given, runs as one
more mode, ``dense`` (a full dense forward per update). Writes into ``DIR``:

* ``runs/<mode>_offline/``, ``runs/<mode>_x<scale>/``: each run's replay (``report.json``,
  ``outputs/``);
* ``compare.json``: every run's evaluation, metrics, speed, update latency and outputs; which
  runs were done and, when the comparison stopped early (Ctrl-C), why;
* ``compare.md``: a table of VOC mAP@0.5 per mode, offline and latency-aware per scale, with the
  outputs' age at availability and their rate (also printed);
* ``compare.png``: latency-aware mAP@0.5 against the compute scale, one line per mode, each
  mode's offline score dashed.
"""

from __future__ import annotations

from collections.abc import Sequence
import contextlib
from dataclasses import dataclass
from pathlib import Path
import sys
import time
from typing import Any

from asynet_core.cli import (
    deferred_interrupts,
    describe_error,
    existing_outputs,
    remove_outputs,
    write_atomically,
    write_json,
)
from asynet_core.errors import ConfigError
from asynet_core.modes import UPDATE_MODES
from asynet_ros import bundled_checkpoint
from asynet_ros.realtime import check_compute_scale
from asynet_tools.replay.compare_report import markdown_table, write_plot

__all__ = [
    'COMPARE_NAMES',
    'DEFAULT_COMPUTE_SCALES',
    'DENSE_MODE',
    'PROG',
    'RunSpec',
    'check_compute_scale',
    'check_compute_scales',
    'check_modes',
    'compare',
    'plan_runs',
]

#: The command's name, in its messages.
PROG = 'asynet-replay-compare'
#: What a comparison writes into its folder; ``--overwrite`` removes exactly these.
COMPARE_NAMES = ('runs', 'compare.json', 'compare.md', 'compare.png')
DEFAULT_COMPUTE_SCALES = (1.0, 3.0, 10.0)
#: The mode name of a dense checkpoint's runs.
DENSE_MODE = 'dense'


@dataclass(frozen=True)
class RunSpec:
    """One replay of a comparison.

    Attributes:
        mode: the engine's update mode, or :data:`DENSE_MODE`.
        compute_scale: the real-time simulation's compute scale; ``None``: offline.
        checkpoint: the checkpoint it runs.
    """

    mode: str
    compute_scale: float | None
    checkpoint: Path

    @property
    def name(self) -> str:
        """Its folder under ``runs/``: ``async_offline``, ``async_x3``, ``dense_x0.5``."""
        if self.compute_scale is None:
            return f'{self.mode}_offline'
        return f'{self.mode}_x{self.compute_scale:g}'


def check_modes(modes: Sequence[str]) -> tuple[str, ...]:
    """The update modes to compare, checked.

    Raises:
        ConfigError: none given, an unknown mode (``dense``: a dense checkpoint's), or one
            given twice.
    """
    if not modes:
        raise ConfigError('no update mode to compare')
    for mode in modes:
        if mode == DENSE_MODE:
            raise ConfigError(
                f'mode {DENSE_MODE!r} runs a dense checkpoint: give it with --dense-checkpoint '
                f'(--modes takes {", ".join(UPDATE_MODES)})'
            )
        if mode not in UPDATE_MODES:
            raise ConfigError(
                f'unknown update mode {mode!r}; choose from {", ".join(UPDATE_MODES)}'
            )
    if len(set(modes)) != len(modes):
        raise ConfigError(f'an update mode is given twice: {" ".join(modes)}')
    return tuple(modes)


def check_compute_scales(scales: Sequence[float]) -> tuple[float, ...]:
    """The compute scales to simulate, checked.

    Raises:
        ConfigError: none given, one not finite or negative, or two that name the same run.
    """
    if not scales:
        raise ConfigError('no compute scale to simulate')
    for scale in scales:
        check_compute_scale(scale)
    names = [f'{float(s):g}' for s in scales]
    if len(set(names)) != len(names):
        raise ConfigError(f'a compute scale is given twice: {" ".join(names)}')
    return tuple(float(s) for s in scales)


def plan_runs(
    modes: Sequence[str],
    compute_scales: Sequence[float],
    checkpoint: Path,
    dense_checkpoint: Path | None = None,
) -> list[RunSpec]:
    """Every run, in order: per mode (then ``dense``), offline first, then each scale."""
    planned = [(mode, checkpoint) for mode in modes]
    if dense_checkpoint is not None:
        planned.append((DENSE_MODE, dense_checkpoint))
    return [
        RunSpec(mode, scale, path) for mode, path in planned for scale in (None, *compute_scales)
    ]


def compare(
    bag_path: str | Path,
    labels: str | Path,
    out: str | Path,
    *,
    checkpoint: str | Path | None = None,
    dense_checkpoint: str | Path | None = None,
    modes: Sequence[str] = UPDATE_MODES,
    compute_scales: Sequence[float] = DEFAULT_COMPUTE_SCALES,
    topic: str | None = None,
    sensor: Any = None,
    packet_us: int = 1000,
    values: dict[str, Any] | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """Replay a labelled recording in every mode, offline and at every compute scale.

    ``values`` are the pipeline's parameter values (:mod:`asynet_ros.params`) but ``mode``,
    which each run sets. Inputs are checked before ``out`` is touched (the labels read, the
    recording opened, each checkpoint loaded). When a run fails or is interrupted, the runs done
    stay, ``compare.json`` lists them with ``"complete": false`` and why, and the error is
    raised again.

    Returns:
        The content of ``compare.json``.

    Raises:
        ConfigError: a bad mode, compute scale or parameter value; a dense-backbone
            ``checkpoint`` or a sparse ``dense_checkpoint``; matplotlib missing.
        ReplayError: ``out`` is not a folder, or is not empty and ``overwrite`` is false.
        BagError, EventFileError, CheckpointError, CorruptFileError: as :func:`replay`.
    """
    bag_path, labels, out = Path(bag_path), Path(labels), Path(out)
    checkpoint = Path(checkpoint) if checkpoint is not None else bundled_checkpoint()
    dense = None if dense_checkpoint is None else Path(dense_checkpoint)
    plan = plan_runs(check_modes(modes), check_compute_scales(compute_scales), checkpoint, dense)
    values = {k: v for k, v in (values or {}).items() if k != 'mode'}
    source = {'topic': topic, 'sensor': sensor, 'packet_us': packet_us}
    _preflight(bag_path, labels, plan, values, source)
    _prepare_output(out, overwrite)
    document = _document(bag_path, labels, checkpoint, dense, plan)
    runner = _Runner(bag_path, labels, out, values, source, progress)
    try:
        for index, spec in enumerate(plan, 1):
            document['runs'].append(runner.run(spec, index, len(plan)))
    except BaseException as err:
        document['complete'], document['stopped'] = False, _why_stopped(err, runner.current)
        with deferred_interrupts():
            write_json(out / 'compare.json', document)
        raise
    with deferred_interrupts():
        _write_results(document, out)
    return document


def _write_results(document: dict[str, Any], out: Path) -> None:
    """compare.md and compare.png, then compare.json: complete only once both are written.

    Raises:
        OSError: compare.md or compare.png could not be written (a full disk); compare.json
            then says so (``complete`` false) if it can be written. Another error of the plot
            is raised the same way.
    """
    for name, write in (
        ('compare.md', lambda path: write_atomically(path, markdown_table(document).encode())),
        ('compare.png', lambda path: write_plot(document, path)),
    ):
        try:
            write(out / name)
        except Exception as err:  # a full disk; a plotting error: whatever it is, say it
            document['complete'] = False
            why = describe_error(err)
            document['stopped'] = f'{type(err).__name__}: cannot write {name}: {why}'
            with contextlib.suppress(OSError):  # the disk may be full for it too
                write_json(out / 'compare.json', document)
            raise
    write_json(out / 'compare.json', document)


def _preflight(
    bag_path: Path,
    labels: Path,
    plan: list[RunSpec],
    values: dict[str, Any],
    source: dict[str, Any],
) -> None:
    """Fail on bad input before any output is written: labels, recording, checkpoints.

    Each checkpoint must fit its option and the labels (a detector knowing their classes).
    """
    from asynet_ros.pipeline import Pipeline
    from asynet_ros.recording import open_recording
    from asynet_tools.replay.metrics import check_labels, read_labels

    _check_matplotlib()
    boxes = read_labels(labels)
    with open_recording(bag_path, **source):
        pass
    for path, mode in dict.fromkeys((spec.checkpoint, spec.mode) for spec in plan):
        pipeline = Pipeline.from_checkpoint(path, values=_run_values(values, mode), device='cpu')
        _check_backbone(path, pipeline.model_config.backbone, mode)
        check_labels(boxes, labels, path, pipeline)


def _check_matplotlib() -> None:
    """compare.png is drawn after every run: a matplotlib that cannot import fails now.

    Raises:
        ConfigError: matplotlib is not installed, or its import fails (a missing library).
    """
    try:
        import matplotlib.figure  # noqa: F401  # the module the plot uses
    except ImportError as err:
        why = 'is not installed' if isinstance(err, ModuleNotFoundError) else 'cannot be imported'
        raise ConfigError(
            f'compare.png needs matplotlib, which {why} ({describe_error(err)}): pip install '
            "'asynet_ros[plot]'"
        ) from err


def _check_backbone(path: Path, backbone: str, mode: str) -> None:
    """A dense checkpoint runs as mode ``dense`` only, and a sparse one in the update modes.

    Raises:
        ConfigError: naming the option that should have given it.
    """
    if (backbone == 'dense') != (mode == DENSE_MODE):
        option = '--dense-checkpoint' if backbone == 'dense' else '--checkpoint'
        raise ConfigError(f'{path} is a {backbone}-backbone checkpoint: give it with {option}')


def _run_values(values: dict[str, Any], mode: str) -> dict[str, Any]:
    """A run's parameter values: a dense run keeps the default update mode (it is unused)."""
    return dict(values) if mode == DENSE_MODE else {**values, 'mode': mode}


def _prepare_output(out: Path, overwrite: bool) -> None:
    """An empty (or, with ``overwrite``, emptied of a comparison) output folder.

    Raises:
        ReplayError: ``out`` is not a folder, or is not empty and ``overwrite`` is false.
    """
    from asynet_tools.replay.output import ReplayError

    if out.exists() and not out.is_dir():
        raise ReplayError(f'--out {out} exists and is not a folder')
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ReplayError(
            f'--out {out} is not empty; pass --overwrite to replace a comparison in it, or '
            'choose another folder'
        )
    remove_outputs(out, existing_outputs(out, COMPARE_NAMES))
    (out / 'runs').mkdir(parents=True)


def _document(
    bag_path: Path, labels: Path, checkpoint: Path, dense: Path | None, plan: list[RunSpec]
) -> dict[str, Any]:
    """``compare.json`` before any run: the inputs and the runs planned."""
    return {
        'bag': str(bag_path),
        'labels': str(labels),
        'checkpoint': str(checkpoint),
        'dense_checkpoint': None if dense is None else str(dense),
        'modes': list(dict.fromkeys(spec.mode for spec in plan)),
        'compute_scales': sorted({s.compute_scale for s in plan if s.compute_scale is not None}),
        'planned': [spec.name for spec in plan],
        'runs': [],
        'complete': True,
        'stopped': None,
    }


def _why_stopped(err: BaseException, current: str | None) -> str:
    during = f' during run {current}' if current else ''
    if isinstance(err, KeyboardInterrupt):
        return f'interrupted ({err.args[0] if err.args else "SIGINT"}){during}'
    return f'{type(err).__name__}: {err}{during}'


class _Runner:
    """Runs one :class:`RunSpec` after the other into ``out/runs``."""

    def __init__(
        self,
        bag_path: Path,
        labels: Path,
        out: Path,
        values: dict[str, Any],
        source: dict[str, Any],
        progress: bool,
    ) -> None:
        self.bag_path, self.labels, self.out = bag_path, labels, out
        self.values, self.source, self.progress = values, source, progress
        self.current: str | None = None  # the run under way

    def run(self, spec: RunSpec, index: int, count: int) -> dict[str, Any]:
        """Replay ``spec``; its row of ``compare.json``."""
        from asynet_tools.replay import run as replay_run  # torch: only now

        self.current = spec.name
        realtime = spec.compute_scale is not None
        start = time.perf_counter()
        summary = replay_run.replay(
            self.bag_path,
            spec.checkpoint,
            self.out / 'runs' / spec.name,
            labels=self.labels,
            values=_run_values(self.values, spec.mode),
            device=self.values.get('device', 'cpu'),
            realtime=realtime,
            compute_scale=spec.compute_scale if realtime else 1.0,
            output_rate_hz=0.0,
            frames=0,
            progress=False,
            **self.source,
        )
        row = _row(spec, summary)
        self.current = None
        if self.progress:
            print(f'{PROG}: [{index}/{count}] {_progress_line(row)} '
                  f'({time.perf_counter() - start:.1f} s)', file=sys.stderr)  # fmt: skip
        return row


def _row(spec: RunSpec, summary: dict[str, Any]) -> dict[str, Any]:
    """A run's entry in ``compare.json``: what the table and the plot read, and more."""
    keys = ('evaluation', 'metrics', 'x_real_time', 'latency_ms_p50', 'latency_ms_p99',
            'outputs', 'updates', 'events', 'wall_s', 'modes', 'complete')  # fmt: skip
    return {
        'name': spec.name,
        'mode': spec.mode,
        'compute_scale': spec.compute_scale,
        'checkpoint': str(spec.checkpoint),
        'folder': f'runs/{spec.name}',
        **{key: summary.get(key) for key in keys},
    }


def _progress_line(row: dict[str, Any]) -> str:
    metrics = row['metrics'] or {}
    scored = metrics.get('latency_aware', metrics) if row['compute_scale'] is not None else metrics
    value = scored.get('voc_map50')
    return f'{row["name"]}: mAP@0.5 {"-" if value is None else f"{value:.3f}"}'
