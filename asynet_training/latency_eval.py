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

"""Latency-aware evaluation of a dataset split: what a live node would hold at each label time.

The classic evaluation scores a window that ends at each label time, as if inference took no
time. Here every label is replayed as a live node would see it (continuous sampling and
latency-aware evaluation, as in STARE: Chen, Chu et al., Nature Communications 2026):

* what is streamed: a detection sample cut from a recording at its label time (Gen1 layout,
  :func:`cuts_recordings`) is only the trained window (e.g. 5000 events, ~50 ms), and streamed
  from a fresh state its early outputs would have seen only the window's first events; a live
  node has the recording's whole past behind it. So each label's recording is streamed from a
  lead-in before the label (``lead_in_us``; default: from the recording's start) up to the
  label, read through the dataset itself (:func:`lead_in_window`: ``window_events=-1`` or
  ``window_us``); the pipeline's own sliding window, the one the checkpoint was trained with,
  bounds what the model sees. Other samples (classification: N-Cars, N-Caltech101,
  synthetic_cls) are streamed as they are;
* the events are cut into packets of ``packet_us`` of sensor time, as a driver's: a packet
  holds the events whose ``t // packet_us`` is the same (:func:`~asynet_ros.recording.
  cut_packets`, the packets of ``asynet-replay`` on an event file); its header stamp is its
  first event's time in ns, so header time is sensor time (µs) times 1000;
* they stream through :class:`~asynet_ros.realtime.RealTimeSimulation` with a fresh pipeline
  state per label (its stream starts at its lead-in): the worker takes all packets that arrived
  while it was busy as one update, each update costing its measured wall time times
  ``compute_scale``; the queue holds every packet of the stream, so none is dropped
  (continuous sampling);
* each label is matched with the newest output *available* at the label time; no output yet
  means a missed label: a wrong class, or no detections.

Label times: a classification sample's last event (the prediction held when the sample ends); a
detection sample's ``t_us`` (Gen1 layout: the label time its window ends at), else its last
event. Ages are label time minus the used output's newest input event. The metrics are always
against the classic samples' labels; the lead-in changes only what is streamed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TYPE_CHECKING

import numpy as np

from asynet_core.errors import ConfigError
from asynet_core.events import SensorSize
from asynet_core.modes import UPDATE_MODES
from asynet_training.evaluate import (
    DEFAULT_MODE,
    DEFAULT_PACKET_US,
    SCORE_THRESHOLD,
)

if TYPE_CHECKING:  # the pipeline imports torch
    from asynet_ros.event_message import EventMessage
    from asynet_ros.pipeline import Pipeline
    from asynet_ros.realtime import CostModel, TimedResult

__all__ = [
    'LatencySettings',
    'Match',
    'SampleSource',
    'cuts_recordings',
    'latency_aware',
    'lead_in_window',
    'load_pipeline',
    'match_labels',
    'newest_available',
    'sample_label_us',
    'sample_packets',
    'score_outputs',
    'stream_sample',
]

#: Frame id of the packets cut from a sample.
FRAME_ID = 'event_camera'


@dataclass(frozen=True)
class LatencySettings:
    """How samples are streamed.

    Attributes:
        compute_scale: hardware this many times slower than this machine (0: free compute).
        mode: the pipeline's update mode (``async``, ``recompute`` or ``adaptive``).
        packet_us: packet length in µs of sensor time.
        lead_in_us: a label's recording is streamed from this many µs before the label
            (``None``: from the recording's start); only samples cut from recordings have one.

    Raises:
        ConfigError: a scale that is negative or not finite, an unknown mode, or a packet
            length or lead-in that is not a positive int.
    """

    compute_scale: float = 1.0
    mode: str = DEFAULT_MODE
    packet_us: int = DEFAULT_PACKET_US
    lead_in_us: int | None = None

    def __post_init__(self) -> None:
        scale: object = self.compute_scale  # checked as given, whatever its annotation
        if isinstance(scale, bool) or not isinstance(scale, (int, float)):
            raise ConfigError(f'compute_scale must be a number >= 0, got {scale!r}')
        from asynet_ros.realtime import check_compute_scale  # the one check of a scale

        check_compute_scale(scale)
        if self.mode not in UPDATE_MODES:
            raise ConfigError(f'unknown mode {self.mode!r}; valid choices: {list(UPDATE_MODES)}')
        _check_positive_int('packet_us', self.packet_us)
        if self.lead_in_us is not None:
            _check_positive_int('lead_in_us', self.lead_in_us)

    def to_dict(self) -> dict[str, Any]:
        """The settings as report fields (the lead-in is reported with what was streamed)."""
        return {'compute_scale': float(self.compute_scale), 'mode': self.mode,
                'packet_us': int(self.packet_us)}  # fmt: skip


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f'{name} must be a positive int, got {value!r}')


class SampleSource(Protocol):
    """Samples read one at a time by index (a dataset, or a list of samples)."""

    def __getitem__(self, index: int, /) -> Any: ...

    def __len__(self) -> int: ...


def cuts_recordings(reader: type) -> bool:
    """Whether the dataset class cuts its samples from recordings at label times (Gen1 layout).

    Its samples are then streamed from a lead-in (see the module docstring); the samples of
    other datasets are whole recordings, streamed as they are.
    """
    from asynet_training.datasets import Gen1

    return issubclass(reader, Gen1)


def lead_in_window(lead_in_us: int | None) -> dict[str, int]:
    """The window arguments of a Gen1 dataset whose samples are the lead-in up to each label.

    ``None``: all events up to the label (``window_events=-1``); else the events with
    ``t_label - lead_in_us < t <= t_label``.

    Raises:
        ConfigError: a lead-in that is not a positive int.
    """
    from asynet_training.datasets.base import ALL_EVENTS

    if lead_in_us is None:
        return {'window_events': ALL_EVENTS}
    _check_positive_int('lead_in_us', lead_in_us)
    return {'window_us': int(lead_in_us)}


@dataclass(frozen=True)
class Match:
    """One label and the output scored for it.

    Attributes:
        t_us: the label time (sensor µs).
        timed: the newest output available at ``t_us``, or ``None`` (missed).
    """

    t_us: int
    timed: TimedResult | None

    @property
    def age_ms(self) -> float | None:
        """Label time minus the used output's newest input event, in ms (``None``: missed)."""
        if self.timed is None:
            return None
        return (self.t_us - self.timed.result.t_us) / 1000.0


def load_pipeline(checkpoint: str | Path, settings: LatencySettings) -> Pipeline:
    """The live pipeline of ``checkpoint`` (its trained window), scoring as the evaluation does.

    Detections keep the classic evaluation's low score threshold, so mAP sees the whole
    precision-recall curve. Whatever :meth:`Pipeline.from_checkpoint` raises propagates.
    """
    from asynet_ros.pipeline import Pipeline

    values = {'mode': settings.mode, 'score_threshold': SCORE_THRESHOLD}
    return Pipeline.from_checkpoint(checkpoint, values=values)


def sample_label_us(sample: Any, task: str) -> int:
    """The label time of a sample (see the module docstring); 0 for an empty sample."""
    t_us = getattr(sample, 't_us', None)
    if task == 'detection' and t_us is not None:
        return int(t_us)
    events = sample.events
    return int(events['t'][-1]) if len(events) else 0


def sample_packets(events: np.ndarray, sensor: SensorSize, packet_us: int) -> list[EventMessage]:
    """A sample's events as a driver's packets (see the module docstring); none when empty."""
    from asynet_ros.event_message import EventMessage
    from asynet_ros.pipeline.decoding import DECODED_ENCODING
    from asynet_ros.recording import cut_packets

    return [
        EventMessage(
            int(packet['t'][0]) * 1000,
            FRAME_ID,
            sensor.width,
            sensor.height,
            DECODED_ENCODING,
            events=packet,
            seq=seq,
        )
        for seq, packet in enumerate(cut_packets([events], packet_us))
    ]


def stream_sample(
    pipeline: Pipeline,
    events: np.ndarray,
    sensor: SensorSize,
    packet_us: int,
    cost: CostModel,
) -> list[TimedResult]:
    """The outputs of one sample streamed in simulated real time, from a fresh stream state."""
    from asynet_ros.realtime import RealTimeSimulation

    packets = sample_packets(events, sensor, packet_us)
    pipeline.reset()
    simulation = RealTimeSimulation(pipeline, cost, queue_size=max(len(packets), 1))
    return list(simulation.run(packets))


def newest_available(timed: Sequence[TimedResult], t_us: int) -> TimedResult | None:
    """The newest output available at sensor time ``t_us``, or ``None``."""
    ready = [t for t in timed if t.available_t_us <= t_us]
    return max(ready, key=lambda t: t.available_t_us, default=None)


def match_labels(samples: Sequence[Any], outputs: Sequence[Sequence[TimedResult]],
                 task: str) -> list[Match]:  # fmt: skip
    """One :class:`Match` per sample (each holds one label time)."""
    matches = []
    for sample, timed in zip(samples, outputs, strict=True):
        t_us = sample_label_us(sample, task)
        matches.append(Match(t_us, newest_available(timed, t_us)))
    return matches


def _score_classification(samples: Sequence[Any], results: Sequence[Any],
                          num_classes: int) -> dict[str, Any]:  # fmt: skip
    """Accuracy; the confusion matrix's last column counts the labels without an output."""
    from asynet_training.metrics import confusion_matrix

    labels = np.array([int(s.label) for s in samples], dtype=np.int64)
    predicted = np.array([num_classes if r is None else int(np.argmax(r.probabilities))
                          for r in results], dtype=np.int64)  # fmt: skip
    matrix = confusion_matrix(labels, predicted, num_classes + 1)[:num_classes]
    accuracy = float((labels == predicted).mean()) if len(labels) else 0.0
    return {'accuracy': accuracy, 'confusion_matrix': matrix.tolist()}


def _xyxy(boxes: np.ndarray) -> np.ndarray:
    """``[n, 5]`` (x, y, w, h, class) boxes as ``[n, 4]`` corners."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 5)
    return np.stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]], axis=1)


def _score_detection(samples: Sequence[Any], results: Sequence[Any],
                     num_classes: int) -> dict[str, Any]:  # fmt: skip
    """VOC mAP@0.5 and COCO mAP@[.5:.95] in sensor pixels (a missed label: no detections)."""
    from asynet_training.metrics import coco_map, voc_map

    dets, truths = [], []
    for i, (sample, result) in enumerate(zip(samples, results, strict=True)):
        if result is not None:
            dets += [(i, int(c), float(s), b) for b, c, s in
                     zip(result.boxes, result.labels, result.scores, strict=True)]  # fmt: skip
        classes = np.asarray(sample.boxes, dtype=np.float64).reshape(-1, 5)[:, 4]
        truths += [(i, int(c), b) for c, b in zip(classes, _xyxy(sample.boxes), strict=True)]
    mean, per_class = voc_map(dets, truths, num_classes)
    coco = coco_map(dets, truths, num_classes, len(samples))
    return {'voc_map50': mean, 'voc_ap50_per_class': per_class, 'coco_map50_95': coco}


def score_outputs(samples: Sequence[Any], results: Sequence[Any], task: str,
                  num_classes: int) -> dict[str, Any]:  # fmt: skip
    """Score one pipeline :class:`~asynet_ros.pipeline.Result` (or ``None``) per sample."""
    score = _score_classification if task == 'classification' else _score_detection
    return score(samples, results, num_classes)


@dataclass(frozen=True)
class _Streamed:
    """What one label's stream gave: its match, final output, output count and span."""

    match: Match
    final: Any  # the stream's last Result, or None
    outputs: int
    span_us: int


def _label_events(sample: Any, index: int, streams: SampleSource | None, task: str) -> np.ndarray:
    """The events streamed for sample ``index``: its own, or its stream's (same label time)."""
    if streams is None:
        return np.asarray(sample.events)
    stream = streams[index]
    stream_t_us, t_us = sample_label_us(stream, task), sample_label_us(sample, task)
    if stream_t_us != t_us:
        raise ConfigError(
            f'stream {index} ends at {stream_t_us} us but its sample is labelled at {t_us} us; '
            'the streams must follow the samples, label for label'
        )
    return np.asarray(stream.events)


def _stream_label(
    pipeline: Pipeline,
    t_us: int,
    events: np.ndarray,
    sensor: SensorSize,
    packet_us: int,
    cost: CostModel,
) -> _Streamed:
    """Stream one label's events and keep only what the report needs of its outputs."""
    timed = stream_sample(pipeline, events, sensor, packet_us, cost)
    span_us = int(events['t'][-1]) - int(events['t'][0]) if len(events) else 0
    final = timed[-1].result if timed else None
    return _Streamed(Match(t_us, newest_available(timed, t_us)), final, len(timed), span_us)


def _timing(streamed: Sequence[_Streamed]) -> dict[str, Any]:
    """Labels matched, ages of the used outputs (ms) and the output rate (per sensor second)."""
    ages = [s.match.age_ms for s in streamed if s.match.age_ms is not None]
    count = sum(s.outputs for s in streamed)
    streamed_s = sum(s.span_us for s in streamed) / 1e6
    return {
        'labels': len(streamed),
        'labels_matched': len(ages),
        'age_ms_p50': float(np.percentile(ages, 50)) if ages else None,
        'age_ms_p99': float(np.percentile(ages, 99)) if ages else None,
        'outputs': count,
        'output_rate_hz': count / streamed_s if streamed_s > 0 else None,
    }


def _check_streams(samples: Sequence[Any], streams: SampleSource | None,
                   settings: LatencySettings) -> None:  # fmt: skip
    if streams is None and settings.lead_in_us is not None:
        raise ConfigError(
            f'lead_in_us={settings.lead_in_us} needs streams: the lead-in up to each label '
            '(a dataset of samples cut from recordings, built with lead_in_window())'
        )
    if streams is not None and len(streams) < len(samples):
        raise ConfigError(f'{len(streams)} streams for {len(samples)} samples; need one each')


def latency_aware(
    pipeline: Pipeline,
    samples: Sequence[Any],
    sensor: SensorSize,
    settings: LatencySettings,
    cost: CostModel | None = None,
    streams: SampleSource | None = None,
) -> dict[str, Any]:
    """The latency-aware report of ``samples`` (see the module docstring).

    Args:
        pipeline: the live pipeline (:func:`load_pipeline`); reset before each label's stream.
        samples: dataset samples (``events``; ``label`` or ``boxes`` and ``t_us``), scored.
        sensor: the dataset's sensor size.
        settings: compute scale, mode and packet length (the mode is the pipeline's own), and
            the lead-in ``streams`` were built with (reported).
        cost: the cost model of an update (default: measured time times ``compute_scale``).
        streams: what to stream for each sample instead of its own events: sample ``i`` of
            ``streams`` (read one at a time, e.g. a dataset built with :func:`lead_in_window`)
            must end at sample ``i``'s label time. ``None``: the samples themselves.

    Returns:
        The task's metrics of the outputs used (``accuracy`` and ``confusion_matrix``, or
        ``voc_map50``, ``voc_ap50_per_class`` and ``coco_map50_95``), the same metrics of each
        stream's final output under ``final`` (all its events, no latency), then ``samples``,
        ``labels``, ``labels_matched``, ``age_ms_p50``, ``age_ms_p99``, ``outputs``,
        ``output_rate_hz`` (per second of sensor time streamed), the settings, ``stream``
        (``'recording'``: the lead-in up to each label; ``'sample'``: the sample itself) and
        ``lead_in_us`` (``None``: from the recording's start, or no lead-in).

    Raises:
        ConfigError: a lead-in without ``streams``, fewer streams than samples, or a stream
            that does not end at its sample's label time.
    """
    from asynet_ros.realtime import scaled_cost

    _check_streams(samples, streams, settings)
    cost = cost or scaled_cost(settings.compute_scale)
    mc = pipeline.model_config
    streamed = []
    for i, sample in enumerate(samples):
        events = _label_events(sample, i, streams, mc.task)
        t_us = sample_label_us(sample, mc.task)
        streamed.append(_stream_label(pipeline, t_us, events, sensor, settings.packet_us, cost))
    used = [None if s.match.timed is None else s.match.timed.result for s in streamed]
    final = [s.final for s in streamed]
    return {
        **score_outputs(samples, used, mc.task, mc.num_classes),
        'final': score_outputs(samples, final, mc.task, mc.num_classes),
        'samples': len(samples),
        **_timing(streamed),
        **settings.to_dict(),
        'stream': 'sample' if streams is None else 'recording',
        'lead_in_us': None if streams is None else settings.lead_in_us,
    }
