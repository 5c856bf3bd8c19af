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

"""The replay itself: recording messages -> pipeline -> output bag, report and frames."""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from pathlib import Path
import sqlite3
import sys
import time
from typing import Any

import numpy as np
from rosbags.rosbag2 import Writer, WriterError
from tqdm import tqdm

from asynet_core.cli import deferred_interrupts, describe_error, write_json
from asynet_core.errors import ConfigError
from asynet_core.events import SensorSize
from asynet_ros import messages, publishing
from asynet_ros.event_message import EventMessage
from asynet_ros.interfaces import typestore
from asynet_ros.pipeline import limit_torch_threads, Pipeline, PipelineConfig, Result
from asynet_ros.realtime import CostModel
from asynet_ros.recording import open_recording, Recording
from asynet_tools.replay.metrics import (
    check_labels,
    label_metrics,
    labels_off_the_outputs,
    read_labels,
    truth_at,
)
from asynet_tools.replay.output import (
    Frames,
    output_qos,
    prepare_output,
    ReplayError,
    write_frames,
)
from asynet_tools.replay.realtime import check_realtime, Realtime
from asynet_tools.replay.report import process_age_s, ReplayReport

__all__ = ['DEFAULT_OUTPUT_RATE_HZ', 'output_period_us', 'replay']

#: ``asynet-replay``'s output rate (Hz of sensor time) unless an update policy is given: a
#: detector's subscriber (a tracker, a planner) uses no more, and per-message outputs of a 1 ms
#: driver cost ten times the updates.
DEFAULT_OUTPUT_RATE_HZ = 100.0


def replay(
    bag_path: str | Path,
    checkpoint: str | Path,
    out: str | Path,
    *,
    topic: str | None = None,
    sensor: SensorSize | None = None,
    packet_us: int = 1000,
    labels: str | Path | None = None,
    config: Any = None,
    values: dict[str, Any] | None = None,
    output_rate_hz: float = 0.0,
    device: str = 'cpu',
    frames: int = 8,
    gif: bool = False,
    progress: bool = True,
    overwrite: bool = False,
    realtime: bool = False,
    compute_scale: float = 1.0,
    cost: CostModel | None = None,
) -> dict[str, Any]:
    """Replay a recording through the checkpoint's pipeline; write outputs; return the report.

    ``bag_path`` is a rosbag2 recording (its event ``topic``) or an event file (RAW, DAT) cut into
    packets of ``packet_us`` µs, of size ``sensor`` where its header gives none (see
    :func:`asynet_ros.recording.open_recording`); ``report.json`` describes it under ``input``.
    The pipeline: ``config``, or the parameter ``values`` (the window as trained unless given;
    see :meth:`Pipeline.from_checkpoint`), on ``device``. ``output_rate_hz`` > 0 gives an output
    every ``1 / output_rate_hz`` of sensor time (``update_every_us``) where neither gives an
    update policy; 0 keeps the pipeline's (one update per message unless given), as the node
    does. ``report.json`` gives the speed: ``x_real_time`` (recording seconds per wall second of
    the replay loop) and ``x_real_time_process`` (per second of the whole process, start-up
    included). Messages that cannot be read as events are counted and skipped (``drops``). When
    the replay stops early (a damaged record, an interrupt), the outputs so far are kept as a
    valid, closed bag and ``report.json`` says ``"complete": false`` and why; then the error is
    raised again.

    ``realtime`` replays it as the live node would have run it on hardware ``compute_scale``
    times slower than this machine (or at the cost ``cost`` gives each batch; see
    :mod:`asynet_tools.replay.realtime`): continuous sampling, no output rate (one update per
    batch unless ``values`` give an update policy), the queue of ``values``' ``queue_size``,
    ``queue_bytes`` and ``drop_policy``, each output written at its availability as the bag's
    receive time (its header stamp stays its newest event's). ``report.json``'s ``evaluation``
    says which mode ran, and its ``metrics`` gain ``latency_aware``.

    Raises:
        ReplayError: ``out`` is not a folder, or holds a replay and ``overwrite`` is false.
        BagError: the bag is missing or corrupt, or the topic is absent or not events.
        EventFileError: the event file is missing, corrupt, or gives no size and none was given.
        CheckpointError: the checkpoint is missing, corrupt or unsafe.
        CorruptFileError: the labels file cannot be read, holds no box or a box not finite.
        ConfigError: ``output_rate_hz`` is negative, not finite or above 1 MHz; a real-time
            replay given an output rate, a bad ``compute_scale``, queue bound or drop policy;
            ``compute_scale`` or ``cost`` without ``realtime``; labels given to a checkpoint
            that is not a detector, or with a class id it does not have; labels whose times all
            lie outside the recording's, or a real-time replay of header stamps that never
            advance (these two raised once the replay and its report are written).
    """
    out = Path(out)
    period_us = output_period_us(output_rate_hz)
    check_realtime(realtime, compute_scale, cost, output_rate_hz)
    label_boxes = None if labels is None else read_labels(Path(labels))  # before the work
    limit_torch_threads()
    pipeline = Pipeline.from_checkpoint(checkpoint, config, values=values, device=device)
    if labels is not None and label_boxes is not None:
        check_labels(label_boxes, Path(labels), Path(checkpoint), pipeline)
    rate = _apply_rate(pipeline, period_us)
    live = Realtime.of(pipeline, values, compute_scale, cost) if realtime else None
    with open_recording(bag_path, topic=topic, sensor=sensor, packet_us=packet_us) as recording:
        prepare_output(out, overwrite)  # last: an --overwrite removes the old replay only now
        report = ReplayReport(str(bag_path), recording.topic, str(checkpoint), pipeline.task)
        report.output_rate_hz = rate
        keep = labels is not None  # the results are kept only to score them
        truth = None if label_boxes is None else truth_at(label_boxes)
        run = _Run(recording, pipeline, report, Frames(frames, truth), keep, live)
        try:
            run.write_all(out / 'outputs', progress)
        except BaseException as err:
            report.stopped = _why_stopped(err)
            if run.started:  # else the output folder is another replay's: leave it alone
                _finish_after(err, run, out, labels, label_boxes, gif)
            raise
        with deferred_interrupts():  # a report is whole or absent
            _finish(run, out, labels, label_boxes, gif)
    _check_after(run)
    return _summary(run)


def _check_after(run: _Run) -> None:
    """What only the whole replay shows to be wrong with its input; said once all is written.

    Raises:
        ConfigError: a real-time replay's header stamps never advanced; the labels lie outside
            the recording's time.
    """
    frozen = None if run.live is None else run.live.frozen_stamps()
    if frozen is not None:
        raise ConfigError(frozen)
    if run.report.metrics:
        problem = labels_off_the_outputs(run.report.metrics, [r.t_us for r in run.results])
        if problem is not None:
            raise ConfigError(problem)


def output_period_us(rate_hz: float) -> int | None:
    """The update period (µs of sensor time) of an output rate; ``None`` for 0 (no rate).

    Raises:
        ConfigError: ``rate_hz`` is negative, not finite, or above 1 MHz (under 1 µs).
    """
    if not 0.0 <= rate_hz <= 1e6:  # NaN fails too
        raise ConfigError(f'output rate must be in [0, 1e6] Hz, got {rate_hz}')
    return round(1e6 / rate_hz) if rate_hz else None


def _apply_rate(pipeline: Pipeline, period_us: int | None) -> float | None:
    """Set the period as the pipeline's update policy where it has none; the rate applied."""
    cfg: PipelineConfig = pipeline.config
    if period_us is None or cfg.update_every_events or cfg.update_every_us:
        return None
    pipeline.config = cfg.replace(update_every_us=period_us)
    return 1e6 / period_us


def _finish_after(
    err: BaseException,
    run: _Run,
    out: Path,
    labels: str | Path | None,
    boxes: np.ndarray | None,
    gif: bool,
) -> None:
    """The partial report of a replay that stopped; the error that stopped it stays the one."""
    try:
        with deferred_interrupts():
            _finish(run, out, labels, boxes, gif)
    except Exception as finish_err:  # a full disk: say so, but report why the replay stopped
        print(
            f'asynet-replay: warning: no partial report ({describe_error(finish_err)}); the '
            f'replay stopped on: {describe_error(err)}',
            file=sys.stderr,
        )


def _why_stopped(err: BaseException) -> str:
    if isinstance(err, KeyboardInterrupt):
        return f'interrupted ({err.args[0] if err.args else "SIGINT"})'
    return f'{type(err).__name__}: {err}'


def _finish(
    run: _Run, out: Path, labels: str | Path | None, boxes: np.ndarray | None, gif: bool
) -> None:
    """Counters, metrics, report.json (atomically) and frames, complete or not."""
    pipeline, report = run.pipeline, run.report
    report.counters = pipeline.counters.to_dict()
    report.updates = pipeline.counters.updates  # outputs: those written (an interrupt may fall
    # between the pipeline's answer and its write; the counters keep the pipeline's own count)
    report.source = run.recording.describe()  # after the reading: a file's time order is whole
    report.process_s = process_age_s()
    if run.live is not None:
        report.evaluation = run.live.evaluation()
        report.availability_s = run.live.availability_s
    if labels is not None and boxes is not None:
        available = None if run.live is None else run.live.available_t_us
        report.metrics = label_metrics(
            run.results, boxes, Path(labels), pipeline, available_t_us=available,
            sensor_s=report.sensor_s, complete=report.stopped is None,
        )  # fmt: skip
    write_json(out / 'report.json', _summary(run))
    write_frames(run.frames.render(), out, gif)


def _summary(run: _Run) -> dict[str, Any]:
    summary = run.report.to_dict()
    counters = run.pipeline.counters
    if run.pipeline.model_config.backbone == 'dense':  # every update a dense forward
        summary['modes'] = {'dense': counters.recomputes}
    else:
        summary['modes'] = {'async': counters.async_updates, 'recompute': counters.recomputes}
    return summary


@contextlib.contextmanager
def _writing(outputs: Path) -> Iterator[None]:
    """Errors of the output bag's storage as one :class:`ReplayError` naming the bag."""
    try:
        yield
    except (WriterError, sqlite3.Error, OSError) as err:
        raise ReplayError(f'cannot write the output bag {outputs}: {err}') from err


class _Run:
    """One replay's loop: recording messages -> pipeline -> the output bag, report and frames."""

    def __init__(
        self,
        recording: Recording,
        pipeline: Pipeline,
        report: ReplayReport,
        frames: Frames,
        keep_results: bool,
        live: Realtime | None = None,
    ) -> None:
        self.recording, self.pipeline, self.report = recording, pipeline, report
        self.live = live  # a real-time replay's simulation
        self.typestore = typestore()
        self.frames = frames
        self.keep_results = keep_results
        self.results: list[Result] = []
        self.started = False  # the output bag was created
        self.table = publishing.node_publishers(pipeline.task)  # the node's topics, /asynet/
        self.factory = messages.RosbagsFactory(self.typestore)

    def write_all(self, outputs: Path, progress: bool) -> None:
        """Replay every message of the recording into the rosbag2 folder ``outputs``.

        Raises:
            ReplayError: the output bag cannot be created or written (a full disk), naming it.
        """
        with _writing(outputs):
            writer = Writer(outputs, version=8)
            writer.open()  # creates the folder; a second replay into it fails here
        self.started = True
        try:
            with _writing(outputs):
                conns = {key: self._connection(writer, key) for key in ('out', 'labels')}
                bar = tqdm(
                    total=self.recording.count, unit='msg', desc='replay',
                    disable=not progress, file=sys.stderr, mininterval=1.0,
                )  # fmt: skip
                start = time.perf_counter()
                try:
                    self._loop(writer, conns, bar)
                finally:
                    self.report.wall_s = time.perf_counter() - start
                    bar.close()
        finally:
            with _writing(outputs), deferred_interrupts():
                writer.close()  # metadata.yaml: the bag is valid however the loop ended

    def _connection(self, writer: Writer, key: str) -> Any:
        msgtype, topic, kind = self.table[key]
        qos = output_qos(latched=kind == 'latched')
        return writer.add_connection(
            topic.replace('~/', '/asynet/'),
            msgtype,
            typestore=self.typestore,
            offered_qos_profiles=[qos],
        )

    def _loop(self, writer: Writer, conns: dict[str, Any], bar: Any) -> None:
        feed = self._feed(writer, conns['labels'], bar)
        if self.live is None:
            self._offline(feed, writer, conns['out'])
            return
        live = self.live

        def write(result: Result, seconds: float, available_ns: int) -> None:
            self._write(writer, conns['out'], result, seconds, available_ns)
            self.report.seconds = live.sim.stats.measured_s

        live.play(feed, write)  # a live node never sees the end of its input: no flush
        self.report.events = self.pipeline.counters.events

    def _feed(self, writer: Writer, labels_conn: Any, bar: Any) -> Iterator[EventMessage]:
        """The recording's messages, counted once processed (or, in real time, arrived)."""
        pipeline, report, ts = self.pipeline, self.report, self.typestore
        last = None
        for timestamp, msg in self.recording.messages(report.skipped):
            if last is not None:  # forward steps only: a looped bag replays its time again
                report.sensor_s += max(msg.stamp_ns - last.stamp_ns, 0) / 1e9
            else:
                info = messages.label_info(
                    self.factory,
                    pipeline.class_names,
                    pipeline.config.score_threshold,
                    msg.stamp_ns,
                    msg.frame_id,
                )
                raw = bytes(ts.serialize_cdr(info, messages.LABEL_INFO))
                writer.write(labels_conn, timestamp, raw)
            last = msg
            yield msg
            report.messages += 1
            report.events = pipeline.counters.events
            bar.update(1)

    def _offline(self, feed: Iterator[EventMessage], writer: Writer, conn: Any) -> None:
        """Each message at once; at the end, what the update policy held back."""
        pipeline, last = self.pipeline, None
        for msg in feed:
            last = msg
            start = time.perf_counter()
            outputs = pipeline.process(msg)
            self._emit(writer, conn, outputs, time.perf_counter() - start)
        if last is not None:  # the end of the input: apply what the update policy held back
            start = time.perf_counter()
            outputs = pipeline.flush(last)
            self._emit(writer, conn, outputs, time.perf_counter() - start)

    def _emit(self, writer: Writer, conn: Any, outputs: list[Result], seconds: float) -> None:
        self.report.seconds += seconds
        for result in outputs:
            self._write(writer, conn, result, seconds, result.stamp_ns)

    def _write(
        self, writer: Writer, conn: Any, result: Result, seconds: float, receive_ns: int
    ) -> None:
        """One output into the bag at ``receive_ns``, then the report, frames and metrics."""
        report, out_type = self.report, self.table['out'][0]
        ros_msg = messages.result_message(self.factory, result, self.pipeline.class_names)
        raw = bytes(self.typestore.serialize_cdr(ros_msg, out_type))
        writer.write(conn, receive_ns, raw)
        report.latencies_s.append(seconds)
        self.frames.offer(report.outputs, self.pipeline, result)
        report.outputs += 1
        if self.keep_results:
            self.results.append(result)
