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

"""``asynet-replay``: run the detector over a rosbag2 recording and report what it did.

::

    asynet-replay BAG --out DIR [--checkpoint C] [--topic T] [--labels L.npy] [--gif]

Writes into ``DIR``:

* ``outputs/``: a rosbag2 (sqlite3, metadata version 8, readable by Humble and Jazzy) holding
  the results on ``/asynet/detections`` (``vision_msgs/Detection2DArray``) or
  ``/asynet/classification`` (``vision_msgs/Classification``), and ``/asynet/label_info``
  (``vision_msgs/LabelInfo``), stamped with the input's header time;
* ``report.json``: ``events, updates, outputs, throughput_events_per_s, latency_ms_p50,
  latency_ms_p99, drops`` (every counter of dropped input), the counters, the update modes used,
  and ``metrics`` when labels are given;
* ``frames/frame_NNNN.png`` (``--frames N`` evenly spaced annotated outputs) or ``replay.gif``.

Latency is the wall time from the start of processing the message that completes an output to
the output (decode, window, representation, engine, post-processing); throughput is events over
the total processing time. Labels: a Gen1 ``*_bbox.npy`` file whose ``t`` is sensor time in µs,
matched to the newest output at or before each label time; the report gives VOC mAP@0.5.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
import json
import logging
from pathlib import Path
import sys
import time
from typing import Any

import numpy as np
from rosbags.interfaces import (
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)
from rosbags.rosbag2 import Writer
from tqdm import tqdm

from asynet_core.errors import AsynetError
from asynet_ros import bundled_checkpoint, messages, params, publishing, visual
from asynet_ros.bag import EventBag
from asynet_ros.pipeline import limit_torch_threads, Pipeline, Result

__all__ = ['ReplayReport', 'main', 'replay']

_DROP_COUNTERS = (
    'decode_errors',
    'unknown_encoding',
    'bad_sensor_size',
    'dropped_out_of_range',
    'empty_messages',
)


def _qos(reliable: bool, latched: bool, depth: int) -> Qos:
    zero = QosTime(0, 0)
    return Qos(
        QosHistory.KEEP_LAST,
        depth,
        QosReliability.RELIABLE if reliable else QosReliability.BEST_EFFORT,
        QosDurability.TRANSIENT_LOCAL if latched else QosDurability.VOLATILE,
        zero,
        zero,
        QosLiveliness.AUTOMATIC,
        zero,
        False,
    )


@dataclass
class ReplayReport:
    """What a replay measured (``report.json``)."""

    bag: str
    topic: str
    checkpoint: str
    task: str
    messages: int = 0
    events: int = 0
    updates: int = 0
    outputs: int = 0
    seconds: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON report."""
        lat = np.asarray(self.latencies_s) * 1e3
        pct = (lambda q: float(np.percentile(lat, q))) if len(lat) else (lambda q: None)
        return {
            'bag': self.bag,
            'topic': self.topic,
            'checkpoint': self.checkpoint,
            'task': self.task,
            'messages': self.messages,
            'events': self.events,
            'updates': self.updates,
            'outputs': self.outputs,
            'seconds': self.seconds,
            'throughput_events_per_s': self.events / self.seconds if self.seconds else 0.0,
            'latency_ms_p50': pct(50),
            'latency_ms_p99': pct(99),
            'latency_ms_max': float(lat.max()) if len(lat) else None,
            'drops': {k: self.counters.get(k, 0) for k in _DROP_COUNTERS},
            'counters': self.counters,
            'metrics': self.metrics,
        }


class _Frames:
    """Keeps the annotated frames of ``count`` evenly spaced outputs."""

    def __init__(self, count: int, expected_outputs: int) -> None:
        self.every = max(expected_outputs // max(count, 1), 1)
        self.count = count
        self.frames: list[np.ndarray] = []

    def offer(self, index: int, pipeline: Pipeline, result: Result) -> None:
        if self.count <= 0 or len(self.frames) >= self.count or index % self.every:
            return
        sensor = pipeline.sensor
        if sensor is not None:
            events = pipeline.window_events()
            self.frames.append(visual.render(events, sensor, result, pipeline.class_names))


def replay(
    bag_path: str | Path,
    checkpoint: str | Path,
    out: str | Path,
    *,
    topic: str | None = None,
    labels: str | Path | None = None,
    config: Any = None,
    values: dict[str, Any] | None = None,
    device: str = 'cpu',
    frames: int = 8,
    gif: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Replay ``bag_path`` through the checkpoint's pipeline; write outputs; return the report.

    The pipeline: ``config``, or the parameter ``values`` (the window as trained unless given;
    see :meth:`Pipeline.from_checkpoint`), on ``device``.

    Raises:
        BagError: the bag is missing or corrupt, or the topic is absent or not events.
        CheckpointError: the checkpoint is missing, corrupt or unsafe.
        FileExistsError: ``out/outputs`` exists already.
    """
    out = Path(out)
    limit_torch_threads()
    pipeline = Pipeline.from_checkpoint(checkpoint, config, values=values, device=device)
    out.mkdir(parents=True, exist_ok=True)
    with EventBag(bag_path) as bag:
        chosen = bag.pick_topic(topic)
        report = ReplayReport(str(bag_path), chosen.name, str(checkpoint), pipeline.task)
        keep = labels is not None  # the results are kept only to score them
        results = _run(bag, chosen.name, chosen.count, pipeline, out, report, frames, progress,
                       keep)  # fmt: skip
    report.counters = pipeline.counters.to_dict()
    report.updates, report.outputs = pipeline.counters.updates, pipeline.counters.outputs
    if labels is not None:
        report.metrics = _metrics(results, Path(labels), pipeline)
    summary = report.to_dict()
    summary['modes'] = {'async': pipeline.counters.async_updates,
                        'recompute': pipeline.counters.recomputes}  # fmt: skip
    (out / 'report.json').write_text(json.dumps(summary, indent=2) + '\n', encoding='utf-8')
    _write_frames(results[1], out, gif)
    return summary


def _run(
    bag: EventBag,
    topic: str,
    count: int,
    pipeline: Pipeline,
    out: Path,
    report: ReplayReport,
    frames: int,
    progress: bool,
    keep_results: bool,
) -> tuple[list[Result], list[np.ndarray]]:
    ts = bag.typestore
    factory = messages.RosbagsFactory(ts)
    table = publishing.node_publishers(pipeline.task)  # the node's topics, under /asynet/
    out_type = table['out'][0]
    keep = _Frames(frames, count)
    results: list[Result] = []
    with Writer(out / 'outputs', version=8) as writer:

        def connection(key: str) -> Any:
            msgtype, topic, kind = table[key]
            qos = _qos(True, kind == 'latched', 1 if kind == 'latched' else 10)
            return writer.add_connection(
                topic.replace('~/', '/asynet/'), msgtype, typestore=ts, offered_qos_profiles=[qos]
            )

        conn, info_conn = connection('out'), connection('labels')
        bar = tqdm(
            total=count, unit='msg', desc='replay', disable=not progress, file=sys.stderr,
            mininterval=1.0,
        )  # fmt: skip

        def emit(outputs: list[Result], seconds: float) -> None:
            for result in outputs:
                report.latencies_s.append(seconds)
                keep.offer(report.outputs, pipeline, result)
                report.outputs += 1
                if keep_results:
                    results.append(result)
                ros_msg = messages.result_message(factory, result, pipeline.class_names)
                writer.write(conn, result.stamp_ns, bytes(ts.serialize_cdr(ros_msg, out_type)))

        last = None
        for timestamp, msg in bag.event_messages(topic):
            if last is None:
                info = messages.label_info(
                    factory,
                    pipeline.class_names,
                    pipeline.config.score_threshold,
                    msg.stamp_ns,
                    msg.frame_id,
                )
                writer.write(
                    info_conn, timestamp, bytes(ts.serialize_cdr(info, messages.LABEL_INFO))
                )
            last = msg
            start = time.perf_counter()
            outputs = pipeline.process(msg)
            seconds = time.perf_counter() - start
            report.seconds += seconds
            report.messages += 1
            report.events = pipeline.counters.events
            emit(outputs, seconds)
            bar.update(1)
        if last is not None:  # the end of the bag: apply what the update policy held back
            start = time.perf_counter()
            outputs = pipeline.flush(last)
            seconds = time.perf_counter() - start
            report.seconds += seconds
            emit(outputs, seconds)
        bar.close()
    return results, keep.frames


def _write_frames(frames: list[np.ndarray], out: Path, gif: bool) -> None:
    if not frames:
        return
    if gif:
        visual.save_gif(frames, out / 'replay.gif')
        return
    folder = out / 'frames'
    folder.mkdir(exist_ok=True)
    for i, frame in enumerate(frames):
        visual.save_png(frame, folder / f'frame_{i:04d}.png')


def _metrics(
    run: tuple[list[Result], list[np.ndarray]], labels: Path, pipeline: Pipeline
) -> dict[str, Any]:
    """VOC mAP@0.5 of the outputs against Gen1-format labels (sensor time, µs)."""
    from asynet_training.formats.gen1 import read_gen1_bbox  # optional: labels only
    from asynet_training.metrics import voc_map

    results = [r for r in run[0] if r.boxes is not None]
    boxes = read_gen1_bbox(labels)
    times = np.array([r.t_us for r in results], dtype=np.int64)
    detections: list[tuple[int, int, float, np.ndarray]] = []
    truths: list[tuple[int, int, np.ndarray]] = []
    label_times = np.unique(boxes['t'])
    matched = 0
    for image, t in enumerate(label_times):
        k = int(np.searchsorted(times, t, side='right')) - 1
        if k < 0:
            continue
        matched += 1
        for b in boxes[boxes['t'] == t]:
            x0, y0 = float(b['x']), float(b['y'])
            xyxy = np.array([x0, y0, x0 + float(b['w']), y0 + float(b['h'])])
            truths.append((image, int(b['class_id']), xyxy))
        r = results[k]
        rows = zip(r.boxes, r.scores, r.labels, strict=True)  # type: ignore[arg-type]
        for box, score, label in rows:
            detections.append((image, int(label), float(score), np.asarray(box, np.float64)))
    mean, per_class = voc_map(detections, truths, pipeline.model_config.num_classes)
    return {
        'labels': str(labels),
        'label_times': len(label_times),
        'label_times_matched': matched,
        'voc_map50': mean,
        'voc_ap50_per_class': [None if np.isnan(a) else a for a in per_class],
    }


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='asynet-replay', description=__doc__.split('\n\n')[0])
    p.add_argument('bag', type=Path, help='rosbag2 folder (sqlite3 or mcap)')
    p.add_argument('--checkpoint', type=Path, help='checkpoint (default: the bundled detector)')
    p.add_argument('--out', type=Path, required=True, help='output folder')
    p.add_argument('--topic', help='event topic (default: the only one in the bag)')
    p.add_argument('--labels', type=Path, help='Gen1 *_bbox.npy labels (sensor time, us)')
    p.add_argument('--frames', type=int, default=8, help='annotated frames to write (0: none)')
    p.add_argument('--gif', action='store_true', help='write replay.gif instead of PNG frames')
    p.add_argument('--no-progress', action='store_true')
    params.add_options(p)
    return p


def main(argv: list[str] | None = None) -> int:
    """Console entry point; prints the report summary as JSON."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format='%(levelname)s %(name)s: %(message)s')
    try:
        if args.checkpoint is None:
            args.checkpoint = bundled_checkpoint()
        values = params.option_values(args)
        summary = replay(
            args.bag,
            args.checkpoint,
            args.out,
            topic=args.topic,
            labels=args.labels,
            values=values,
            device=values['device'],
            frames=args.frames,
            gif=args.gif,
            progress=not args.no_progress,
        )
    except (AsynetError, OSError, ValueError) as err:
        print(f'asynet-replay: error: {err}', file=sys.stderr)
        return 2
    keys = ('events', 'updates', 'outputs', 'throughput_events_per_s', 'latency_ms_p50',
            'latency_ms_p99', 'drops', 'metrics')  # fmt: skip
    print(json.dumps({k: summary[k] for k in keys}, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
