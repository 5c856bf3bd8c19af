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

"""The ROS-free detection pipeline: event messages in, detections or class scores out.

Every transport (the rclpy node, rosbag2 replay, Cyclone DDS) feeds :class:`EventMessage` objects
to :meth:`Pipeline.process`, which:

1. checks the message (encoding, sensor size) and decodes it with the stream's stateful decoder;
2. keeps time order: a packet whose first event is older than the newest event seen by more than
   ``backwards_tolerance_us`` (a looped bag, a restarted camera) resets the stream state; a smaller
   step back is clamped to the newest time; both are counted;
3. applies the update policy: an output every ``update_every_events`` events, every
   ``update_every_us`` of sensor time, or (neither given) once per message;
4. slides the window (``window_events`` or ``window_us``), updates the representation and runs the
   asynchronous engine, or a full recompute when the cost model predicts it cheaper
   (``mode='adaptive'``, see :mod:`asynet_core.adaptive`);
5. turns the model output into a :class:`Result`: boxes in sensor pixels (detection) or class
   probabilities (classification).

A message that cannot be used is counted and logged (rate-limited) and dropped whole; the stream
goes on with the next one and nothing accepted before is lost. A change of sensor size restarts
the stream for the new size. Times: events carry sensor ``t`` in microseconds; results carry the
ROS header stamp in nanoseconds, ``stamp_ns = message stamp + (t_last - t_first_of_message)``,
never earlier than the previous output's: header stamps (host time when the driver read the
packet) and sensor time do not advance exactly together, so the raw sum can step back by a
fraction of a millisecond between packets, and subscribers expect non-decreasing stamps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import dataclasses
from dataclasses import dataclass, field
import logging
from pathlib import Path
import time
from typing import Any

import numpy as np
import torch

from asynet_core.adaptive import AdaptiveUpdater, UPDATE_MODES
from asynet_core.engine.engine import AsyncEngine
from asynet_core.errors import ConfigError
from asynet_core.events import concatenate_events, empty_events, SensorSize
from asynet_core.models import load_checkpoint, ModelConfig
from asynet_core.models.yolo import postprocess
from asynet_core.representations import InputMapping, make_representation
from asynet_core.window import SlidingWindow
from asynet_ros.decoders import DecodeError, ENCODINGS, make_decoder
from asynet_ros.event_message import DVS_ENCODING, EventMessage
from asynet_ros.ratelimit import RateLimitedLog

__all__ = [
    'Counters',
    'Pipeline',
    'PipelineConfig',
    'Result',
    'limit_torch_threads',
    'training_window',
]

_LOG = logging.getLogger('asynet_ros.pipeline')
_MAX_SIDE = 1 << 16  # event coordinates are uint16


@dataclass(frozen=True)
class PipelineConfig:
    """How events become outputs.

    Attributes:
        window_events: window length in events (exclusive with ``window_us``).
        window_us: window length in microseconds of sensor time.
        update_every_events: an output each time this many events arrived.
        update_every_us: an output each time this much sensor time passed (µs).
        mode: ``adaptive`` (asynchronous or recompute per update, by the cost model), ``async``
            or ``recompute``.
        score_threshold: detection score threshold in ``[0, 1]``.
        iou_threshold: NMS IoU threshold in ``[0, 1]``.
        max_detections: detections kept per output.
        resync_every: exact recompute of the engine state every this many updates (bounds
            float32 drift; 0 disables).
        backwards_tolerance_us: a step back in time larger than this resets the stream.
    """

    window_events: int | None = 25_000
    window_us: int | None = None
    update_every_events: int | None = None
    update_every_us: int | None = None
    mode: str = 'adaptive'
    score_threshold: float = 0.3
    iou_threshold: float = 0.6
    max_detections: int = 100
    resync_every: int = 1000
    backwards_tolerance_us: int = 1000

    def __post_init__(self) -> None:
        if (self.window_events is None) == (self.window_us is None):
            raise ConfigError(
                'give exactly one of window_events or window_us, got '
                f'window_events={self.window_events!r}, window_us={self.window_us!r}'
            )
        if self.update_every_events is not None and self.update_every_us is not None:
            raise ConfigError('give at most one of update_every_events or update_every_us')
        for name in ('window_events', 'window_us', 'update_every_events', 'update_every_us'):
            value = getattr(self, name)
            if value is not None and not (_is_int(value) and value > 0):
                raise ConfigError(f'{name} must be a positive int or None, got {value!r}')
        if self.mode not in UPDATE_MODES:
            raise ConfigError(f'unknown mode {self.mode!r}; valid choices: {list(UPDATE_MODES)}')
        for name in ('score_threshold', 'iou_threshold'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f'{name} must be a number in [0, 1], got {value!r}')
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f'{name} must be in [0, 1], got {value}')
        for name in ('max_detections', 'resync_every', 'backwards_tolerance_us'):
            value = getattr(self, name)
            if not (_is_int(value) and value >= 0):
                raise ConfigError(f'{name} must be an int >= 0, got {value!r}')

    def replace(self, **changes: Any) -> PipelineConfig:
        """A copy with ``changes`` applied (validated)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_values(
        cls, values: Mapping[str, Any], trained: tuple[int | None, int | None]
    ) -> PipelineConfig:
        """The config of parameter values (:mod:`asynet_ros.params`; 0 or absent: unused).

        ``trained`` (window_events, window_us) is the window used when neither is given.

        Raises:
            ConfigError: an inconsistent combination (both windows, both update policies) or a
                bad value.
        """
        default = cls.__dataclass_fields__

        def get(name: str) -> Any:
            value = values.get(name)
            return default[name].default if value is None else value

        window_events = values.get('window_events') or None
        window_us = values.get('window_us') or None
        if window_events is None and window_us is None:
            window_events, window_us = trained
        return cls(
            window_events=window_events,
            window_us=window_us,
            update_every_events=values.get('update_every_events') or None,
            update_every_us=values.get('update_every_us') or None,
            mode=get('mode'),
            score_threshold=float(get('score_threshold')),
            iou_threshold=float(get('iou_threshold')),
            max_detections=get('max_detections'),
            resync_every=get('resync_every'),
            backwards_tolerance_us=get('backwards_tolerance_us'),
        )


@dataclass
class Counters:
    """What the pipeline did and dropped; every rejected message increments one counter."""

    messages: int = 0
    events: int = 0
    updates: int = 0
    async_updates: int = 0
    recomputes: int = 0
    outputs: int = 0
    decode_errors: int = 0
    unknown_encoding: int = 0
    bad_sensor_size: int = 0
    empty_messages: int = 0
    dropped_out_of_range: int = 0
    sensor_changes: int = 0
    time_resets: int = 0
    clamped_events: int = 0
    unsorted_messages: int = 0
    seq_gaps: int = 0
    lost_messages: int = 0
    resets_after_gap: int = 0

    def to_dict(self) -> dict[str, int]:
        """Plain dict, for reports and diagnostics."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, eq=False)
class Result:
    """One output of the model.

    Attributes:
        stamp_ns: ROS time of the newest event in the window (nanoseconds).
        frame_id: the input messages' frame id.
        t_us: sensor time of the newest event (µs).
        window_events: events in the window.
        mode: ``async`` or ``recompute``: how the update was computed.
        compute_s: seconds spent in representation, engine and post-processing.
        boxes: detection: ``[N, 4]`` float32 (x_min, y_min, x_max, y_max) in sensor pixels.
        scores: detection: ``[N]`` float32 calibrated scores.
        labels: detection: ``[N]`` int64 class indices.
        probabilities: classification: ``[num_classes]`` float32 softmax.
    """

    stamp_ns: int
    frame_id: str
    t_us: int
    window_events: int
    mode: str
    compute_s: float
    boxes: np.ndarray | None = None
    scores: np.ndarray | None = None
    labels: np.ndarray | None = None
    probabilities: np.ndarray | None = None


class _SeqGaps:
    """Detects lost messages from the EventPacket ``seq``, which a driver increments by one.

    A step of more than one counts a gap and its missing messages; a step back (a restarted
    driver, a looped bag) restarts the count. ``after_gap`` stays set until the next message is
    ordered, so a time reset that a lost message causes (evt3 loses its TIME_HIGH) is attributed.
    """

    def __init__(self) -> None:
        self.last: int | None = None
        self.after_gap = False

    def see(self, seq: int, counters: Counters) -> int:
        """Take the next message's ``seq``; return how many messages were lost before it."""
        last, self.last = self.last, seq
        if last is None or seq <= last:
            return 0
        lost = seq - last - 1
        if lost > 0:
            counters.seq_gaps += 1
            counters.lost_messages += lost
            self.after_gap = True
        return lost


@dataclass
class _Stream:
    """Per-stream state that a reset forgets."""

    sensor: SensorSize
    window: SlidingWindow
    rep: Any
    rep_state: Any
    decoders: dict[str, Any] = field(default_factory=dict)
    last_t_us: int | None = None
    pending: list[np.ndarray] = field(default_factory=list)  # never holds an empty array
    next_update_t_us: int | None = None
    last_stamp_ns: int = 0


class Pipeline:
    """Event messages in, :class:`Result` objects out (see the module docstring).

    Args:
        model: a trained SparseVGG (eval mode) whose ``config`` is ``model_config``.
        model_config: the checkpoint's model configuration.
        config: window, update policy, thresholds.
        logger: where rate-limited problem lines go.
        clock: seconds clock for ``compute_s``.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        model_config: ModelConfig,
        config: PipelineConfig | None = None,
        *,
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.config = config or PipelineConfig()
        self.model_config = model_config
        self.class_names = list(model_config.class_names) or [
            str(i) for i in range(model_config.num_classes)
        ]
        self.counters = Counters()
        self.log = RateLimitedLog(logger or _LOG)
        self.clock = clock
        engine = AsyncEngine.from_model(model, torch.float32, self.config.resync_every or None)
        self.updater = AdaptiveUpdater(engine, self.config.mode)
        self._stream: _Stream | None = None
        self._seq = _SeqGaps()

    @classmethod
    def from_checkpoint(
        cls,
        path: str | Path,
        config: PipelineConfig | None = None,
        *,
        values: Mapping[str, Any] | None = None,
        device: str = 'cpu',
        **kwargs: Any,
    ) -> Pipeline:
        """Load a checkpoint (``weights_only``; see :func:`load_checkpoint`) into a pipeline.

        The one loader of every front end (node, ``asynet-detect``, ``asynet-replay``).

        Args:
            path: the checkpoint.
            config: the pipeline config; by default built from ``values`` (parameter values,
                see :meth:`PipelineConfig.from_values`), the window being the one the checkpoint
                was trained with unless ``values`` give one.
            values: parameter values by name (absent or 0: the default or unused).
            device: torch device the model is loaded to.
            kwargs: passed to :class:`Pipeline`.

        Raises:
            CheckpointError: missing, corrupt or unsafe file, weights that do not fit, or a bad
                device.
            ConfigError: a dense-backbone checkpoint (the engine needs the sparse model), or
                bad values.
        """
        loaded = load_checkpoint(path, map_location=device)
        if config is None:
            config = PipelineConfig.from_values(values or {}, training_window(loaded.extra))
        if loaded.config.backbone != 'sparse':
            raise ConfigError(
                f'{path}: the asynchronous pipeline needs a sparse-backbone checkpoint, '
                f'got backbone {loaded.config.backbone!r}'
            )
        return cls(loaded.model, loaded.config, config, **kwargs)

    @property
    def task(self) -> str:
        """``detection`` or ``classification``."""
        return self.model_config.task

    @property
    def sensor(self) -> SensorSize | None:
        """The current stream's sensor size (``None`` before the first message)."""
        return None if self._stream is None else self._stream.sensor

    def window_events(self) -> np.ndarray:
        """The events of the current window (a copy; empty before the first update)."""
        if self._stream is None:
            return empty_events()
        return self._stream.window.events().copy()

    def reset(self) -> None:
        """Forget the stream (window, representation, engine, decoders); keep the counters."""
        self._stream = None
        self._seq = _SeqGaps()
        self.updater.engine.reset()

    # -- per message ---------------------------------------------------------------------------

    def process(self, msg: EventMessage, *, coalesce: bool = False) -> list[Result]:
        """Take one message; return the outputs it completes (possibly none).

        Args:
            msg: the message.
            coalesce: apply all events due into one update (a live runner that fell behind),
                instead of one update per policy step.

        Never raises for bad message content: such a message is counted, logged and dropped.
        """
        taken = self._ingest(msg)
        if taken is None:
            return []
        stream, first_t, _ = taken
        chunks = self._chunks(stream, coalesce)
        return [self._update(stream, chunk, msg, first_t) for chunk in chunks]

    def process_batch(self, msgs: list[EventMessage]) -> list[Result]:
        """Take several messages at once with a single update at the end (a backlog).

        Every message is decoded in order (decoder state and counters as with :meth:`process`);
        the events due by the update policy go into one update, so the cost of catching up is
        that of one update, not one per message.
        """
        taken = None
        for msg in msgs:
            taken = self._ingest(msg) or taken
        if taken is None:
            return []
        stream, first_t, last = taken  # stamped by the newest message accepted
        chunks = self._chunks(stream, coalesce=True)
        return [self._update(stream, chunk, last, first_t) for chunk in chunks]

    def skip(self, msgs: list[EventMessage]) -> None:
        """Decode messages a live queue dropped and discard their events (no update, no output).

        Decoders keep state across messages (evt3 sends the high bits of the time only every
        4096 µs): without this, the message after a dropped one could decode to times that step
        back and reset the stream. Bad messages are counted as in :meth:`process`.
        """
        for msg in msgs:
            self._decode(msg)  # a message of another size decodes into a throw-away stream

    def _ingest(self, msg: EventMessage) -> tuple[_Stream, int, EventMessage] | None:
        """Decode and order a message's events into the pending buffer.

        Returns (stream, first event time, the message), ``None`` when rejected. A message of
        another sensor size restarts the stream only once it proved usable.
        """
        self.counters.messages += 1
        decoded = self._decode(msg)
        if decoded is None:
            return None
        stream, events = decoded
        if not len(events):
            self.counters.empty_messages += 1
            return None
        if stream is not self._stream:
            self._install(stream)
        stream, events = self._order(stream, events)
        self.counters.events += len(events)
        stream.pending.append(events)
        return stream, int(events['t'][0]), msg

    def flush(self, msg: EventMessage | None = None) -> list[Result]:
        """Apply events held back by the update policy (end of a bag); at most one output."""
        stream = self._stream
        if stream is None or not stream.pending:
            return []
        chunk = concatenate_events(stream.pending)
        stream.pending = []
        ref = msg or EventMessage(0, '', stream.sensor.width, stream.sensor.height, 'evt3')
        return [self._update(stream, chunk, ref, int(chunk['t'][0]))]

    def _decode(self, msg: EventMessage) -> tuple[_Stream, np.ndarray] | None:
        """The stream for the message's sensor and its events (``None``: rejected).

        For another sensor size the stream is a new one, not yet installed.
        """
        if msg.encoding != DVS_ENCODING and msg.encoding not in ENCODINGS:
            self._reject(
                'unknown_encoding',
                'encoding',
                f'dropped message: unknown encoding {msg.encoding!r}; valid: '
                f'{[*ENCODINGS, DVS_ENCODING]}',
            )
            return None
        if not all(_is_int(v) and 0 < v <= _MAX_SIDE for v in (msg.width, msg.height)):
            self._reject(
                'bad_sensor_size',
                'size',
                f'dropped message: sensor size {msg.width!r}x{msg.height!r} is not in '
                f'[1, {_MAX_SIDE}]',
            )
            return None
        if msg.encoding != DVS_ENCODING:
            self._check_seq(msg)
        sensor = SensorSize(int(msg.width), int(msg.height))
        stream = self._stream
        if stream is None or stream.sensor != sensor:
            stream = self._make_stream(sensor, {})
        if msg.encoding == DVS_ENCODING:
            checked = self._checked_dvs(msg, sensor)
            return None if checked is None else (stream, checked)
        decoder = stream.decoders.get(msg.encoding)
        if decoder is None:
            decoder = stream.decoders[msg.encoding] = make_decoder(msg.encoding)
        before = int(getattr(decoder, 'dropped_out_of_range', 0))
        try:
            events = decoder.decode(msg.payload, sensor.width, sensor.height, msg.time_base_ns)
        except DecodeError as err:
            self._reject(
                'decode_errors', 'decode', f'dropped {msg.encoding} message seq {msg.seq}: {err}'
            )
            return None
        dropped = int(getattr(decoder, 'dropped_out_of_range', 0)) - before
        self._count_out_of_range(dropped, sensor)
        return stream, events

    def _reject(self, counter: str, kind: str, message: str, n: int = 1) -> None:
        """Add ``n`` to ``counter``; log ``message`` with the counter's total (rate-limited)."""
        total = getattr(self.counters, counter) + n
        setattr(self.counters, counter, total)
        self.log.warning(kind, f'{message} (counter {counter}={total})')

    def _check_seq(self, msg: EventMessage) -> None:
        lost = self._seq.see(int(msg.seq), self.counters)
        if lost:
            self.log.warning(
                'seq',
                f'{lost} message(s) lost before seq {msg.seq} (transport or queue; counters '
                f'seq_gaps={self.counters.seq_gaps}, lost_messages={self.counters.lost_messages})',
            )

    def _checked_dvs(self, msg: EventMessage, sensor: SensorSize) -> np.ndarray | None:
        events = msg.events
        if events is None:
            self._reject('decode_errors', 'decode', 'dropped dvs_msgs message without events')
            return None
        inside = (events['x'] < sensor.width) & (events['y'] < sensor.height)
        dropped = len(events) - int(np.count_nonzero(inside))
        self._count_out_of_range(dropped, sensor)
        return events if not dropped else events[inside]

    def _count_out_of_range(self, dropped: int, sensor: SensorSize) -> None:
        if dropped <= 0:
            return
        self._reject(
            'dropped_out_of_range',
            'range',
            f'dropped {dropped} events outside the {sensor.width}x{sensor.height} sensor',
            dropped,
        )

    def _make_stream(self, sensor: SensorSize, decoders: dict[str, Any]) -> _Stream:
        mc = self.model_config
        rep = make_representation(mc.representation, InputMapping(sensor, mc.input_size))
        window = SlidingWindow(
            window_events=self.config.window_events, window_us=self.config.window_us
        )
        return _Stream(sensor, window, rep, rep.init_state(), decoders)

    def _install(self, stream: _Stream) -> None:
        """Make ``stream`` the current one; the engine starts empty."""
        old = self._stream
        if old is not None and old.sensor != stream.sensor:
            self._reject(
                'sensor_changes',
                'sensor_change',
                f'sensor size changed from {old.sensor.width}x{old.sensor.height} to '
                f'{stream.sensor.width}x{stream.sensor.height}: stream restarted',
            )
        self.updater.engine.reset()
        self._stream = stream

    def _order(self, stream: _Stream, events: np.ndarray) -> tuple[_Stream, np.ndarray]:
        """Sort within the message; clamp small steps back, reset on large ones."""
        t = events['t']
        if len(t) > 1 and bool((np.diff(t) < 0).any()):
            self.counters.unsorted_messages += 1
            events = events[np.argsort(t, kind='stable')]
            t = events['t']
        last = stream.last_t_us
        if last is not None and int(t[0]) < last:
            if last - int(t[0]) > self.config.backwards_tolerance_us:
                self.counters.resets_after_gap += self._seq.after_gap
                self._reject(
                    'time_resets',
                    'time',
                    f'time went back from {last} us to {int(t[0])} us (looped bag or camera '
                    'restart): stream state reset',
                )
                stream = self._make_stream(stream.sensor, stream.decoders)
                self._install(stream)
            else:
                late = t < last
                self.counters.clamped_events += int(np.count_nonzero(late))
                events = events.copy()
                events['t'][late] = last
        stream.last_t_us = int(events['t'][-1])
        self._seq.after_gap = False
        return stream, events

    def _chunks(self, stream: _Stream, coalesce: bool) -> list[np.ndarray]:
        """Split the pending events into update steps by the update policy."""
        if not stream.pending:
            return []
        pending = concatenate_events(stream.pending)
        every_n, every_us = self.config.update_every_events, self.config.update_every_us
        if every_n is None and every_us is None:
            cut = [len(pending)]
        elif every_n is not None:
            cut = list(range(every_n, len(pending) + 1, every_n))
        else:
            cut = self._time_cuts(stream, pending['t'], every_us or 1)
        if not cut:
            stream.pending = [pending]
            return []
        if coalesce:
            cut = [cut[-1]]
        chunks = np.split(pending[: cut[-1]], cut[:-1])
        rest = pending[cut[-1] :]
        stream.pending = [rest] if len(rest) else []
        return chunks

    def _time_cuts(self, stream: _Stream, pending_t: np.ndarray, every_us: int) -> list[int]:
        if stream.next_update_t_us is None:
            stream.next_update_t_us = int(pending_t[0]) + every_us
        first = stream.next_update_t_us
        if pending_t[-1] < first:
            return []
        # boundaries first + k * every_us at or before each event; a cut wherever that count
        # grows (one cut however many boundaries a gap between two events spans)
        reached = np.maximum((pending_t - first) // every_us + 1, 0)
        stream.next_update_t_us = first + int(reached[-1]) * every_us
        cuts = np.flatnonzero(np.diff(reached) > 0) + 1
        return [int(c) for c in cuts]

    def _update(
        self, stream: _Stream, chunk: np.ndarray, msg: EventMessage, first_t: int
    ) -> Result:
        start = self.clock()
        change = stream.window.push(chunk)
        update = stream.rep.update(stream.rep_state, change.added, change.removed)
        sites = np.stack([update.rows, update.cols], axis=1)
        out = self.updater.update(sites, update.values, update.active)
        mode = self.updater.last_mode
        self.counters.updates += 1
        if mode == 'async':
            self.counters.async_updates += 1
        else:
            self.counters.recomputes += 1
        t_last = int(chunk['t'][-1])
        stamp = max(msg.stamp_ns + max(t_last - first_t, 0) * 1000, stream.last_stamp_ns)
        stream.last_stamp_ns = stamp
        mapping: InputMapping = stream.rep.mapping
        head = (stamp, msg.frame_id, t_last, len(stream.window), mode)
        result = self._result(out, head, mapping, start)
        self.counters.outputs += 1
        return result

    def _result(
        self,
        out: torch.Tensor,
        head: tuple[int, str, int, int, str],
        mapping: InputMapping,
        start: float,
    ) -> Result:
        mc = self.model_config
        keys = ('stamp_ns', 'frame_id', 't_us', 'window_events', 'mode')
        common: dict[str, Any] = dict(zip(keys, head, strict=True))
        if mc.task == 'classification':
            probs = torch.softmax(out.reshape(-1).float(), 0).cpu().numpy().astype(np.float32)
            return Result(**common, compute_s=self.clock() - start, probabilities=probs)
        det = postprocess(
            out.reshape(1, *out.shape[-3:]).cpu(),
            mc.input_size,
            mc.num_classes,
            mc.num_boxes,
            score_threshold=self.config.score_threshold,
            iou_threshold=self.config.iou_threshold,
            max_detections=self.config.max_detections,
        )[0]
        boxes = _to_sensor(det.boxes.numpy().astype(np.float32), mapping)
        return Result(
            **common,
            compute_s=self.clock() - start,
            boxes=boxes,
            scores=det.scores.numpy().astype(np.float32),
            labels=det.labels.numpy().astype(np.int64),
        )


def limit_torch_threads(threads: int = 1) -> None:
    """Run torch ops on ``threads`` threads (process-wide; the entry points call it).

    The engine's hot path is single-threaded C++ and the torch ops around it (YOLO decoding,
    softmax) are tiny; with more torch threads than idle cores, OpenMP's spin-waiting made each
    such op cost 10-15 ms on a loaded 2-core machine instead of microseconds.
    """
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def training_window(extra: dict[str, Any]) -> tuple[int | None, int | None]:
    """(window_events, window_us) a checkpoint was trained with (25 000 events if unknown)."""
    data = extra.get('train_config', {}).get('data', {}) if isinstance(extra, dict) else {}
    events, micros = data.get('window_events'), data.get('window_us')
    if _is_int(micros) and micros > 0 and events is None:
        return None, int(micros)
    if _is_int(events) and events > 0:
        return int(events), None
    return 25_000, None


def _to_sensor(boxes: np.ndarray, mapping: InputMapping) -> np.ndarray:
    """Boxes from model-input cells back to sensor pixels (the inverse of the floor mapping)."""
    sx = _axis_factor(mapping.sensor.width, mapping.width)
    sy = _axis_factor(mapping.sensor.height, mapping.height)
    out = boxes.copy()
    out[:, [0, 2]] = np.clip(out[:, [0, 2]] * sx, 0, mapping.sensor.width)
    out[:, [1, 3]] = np.clip(out[:, [1, 3]] * sy, 0, mapping.sensor.height)
    return out


def _axis_factor(sensor_len: int, input_len: int) -> float:
    return sensor_len / input_len if sensor_len > input_len else 1.0


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
