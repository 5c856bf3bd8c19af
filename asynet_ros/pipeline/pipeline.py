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
   step back is clamped to the newest time; both are counted. So is a header stamp far behind
   the newest (:data:`HEADER_BACK_TOLERANCE_NS`): evt3 times jumping back read as a clock wrap;
3. applies the update policy: an output every ``update_every_events`` events, every
   ``update_every_us`` of sensor time, or (neither given) once per message;
4. slides the window (``window_events`` or ``window_us``), updates the representation and runs the
   asynchronous engine, or a full recompute when the cost model predicts it cheaper
   (``mode='adaptive'``, see :mod:`asynet_core.adaptive`); a dense-backbone model runs whole on
   every update instead (:mod:`asynet_core.dense_engine`, results say ``mode='dense'``);
5. turns the model output into a :class:`Result`: boxes in sensor pixels (detection) or class
   probabilities (classification).

A message that cannot be used is counted and logged (rate-limited) and dropped whole; the stream
goes on with the next one and nothing accepted before is lost. A change of sensor size restarts
the stream for the new size. Times: events carry sensor ``t`` in microseconds; results carry the
ROS header stamp in nanoseconds, ``stamp_ns = message stamp + (t_last - t_first_of_message)``,
never earlier than the previous output's: header stamps (host time when the driver read the
packet) and sensor time do not advance exactly together, so the raw sum can step back by a
fraction of a millisecond between packets, and subscribers expect non-decreasing stamps.

The pieces: :class:`~asynet_ros.pipeline.decoding.StreamDecoder` (step 1),
:mod:`~asynet_ros.pipeline.policy` (step 3), the core's :class:`~asynet_core.stream.EventStream`
with an :class:`~asynet_core.adaptive.AdaptiveUpdater` (step 4) and
:func:`~asynet_ros.pipeline.results.build_result` (step 5); this module keeps time order and
stamps, and composes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
import logging
from pathlib import Path
import time
from typing import Any

import numpy as np
import torch

from asynet_core.adaptive import AdaptiveUpdater
from asynet_core.dense_engine import DENSE_MODE, DenseEngine, DenseUpdater
from asynet_core.engine.engine import AsyncEngine
from asynet_core.errors import ConfigError
from asynet_core.events import concatenate_events, empty_events, SensorSize
from asynet_core.models import load_checkpoint, ModelConfig
from asynet_core.models.config import DEFAULT_WINDOW
from asynet_core.representations import InputMapping, make_representation
from asynet_core.stream import EventStream
from asynet_ros.event_message import EventMessage
from asynet_ros.pipeline.config import Counters, PipelineConfig, Result
from asynet_ros.pipeline.decoding import StreamDecoder
from asynet_ros.pipeline.mapping import describe_mapping
from asynet_ros.pipeline.policy import policy_cuts, policy_due
from asynet_ros.pipeline.results import build_result, ResultHead
from asynet_ros.ratelimit import RateLimitedLog

__all__ = ['HEADER_BACK_TOLERANCE_NS', 'Pipeline']

_LOG = logging.getLogger('asynet_ros.pipeline')
#: A header stamp this much older than the newest seen means a loop (host clocks jitter less).
HEADER_BACK_TOLERANCE_NS = 100_000_000


@dataclass
class _Stream:
    """Per-stream state that a reset forgets: the core event stream, time order and stamps."""

    sensor: SensorSize
    events: EventStream
    last_t_us: int | None = None
    pending: list[np.ndarray] = field(default_factory=list)  # never holds an empty array
    next_update_t_us: int | None = None
    last_stamp_ns: int = 0


class Pipeline:
    """Event messages in, :class:`Result` objects out (see the module docstring).

    Args:
        model: a trained SparseVGG, or DenseVGG (a dense baseline: every update is a full dense
            forward, ``config.mode`` is ignored), in eval mode, whose ``config`` is
            ``model_config``.
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
        self.updater = self._make_updater(model)
        self.decoder = StreamDecoder(self.counters, self._reject, self._log_seq)
        self._stream: _Stream | None = None
        self._newest_header_ns: int | None = None
        #: How the current sensor maps onto the model input (:func:`describe_mapping`).
        self.input_mapping: dict[str, Any] | None = None
        self._told_sensors: set[SensorSize] = set()

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
                see :meth:`PipelineConfig.from_values`), the window being the checkpoint's
                (``model_args['window']``, the one it was trained with) unless ``values`` give
                one.
            values: parameter values by name (absent or 0: the default or unused).
            device: torch device the model is loaded to.
            kwargs: passed to :class:`Pipeline`.

        Raises:
            CheckpointError: missing, corrupt or unsafe file, weights that do not fit, or a bad
                device.
            ConfigError: bad values.
        """
        loaded = load_checkpoint(path, map_location=device)
        if config is None:
            config = PipelineConfig.from_values(
                values or {}, loaded.config.window or DEFAULT_WINDOW
            )
        return cls(loaded.model, loaded.config, config, **kwargs)

    def _make_updater(self, model: torch.nn.Module) -> AdaptiveUpdater | DenseUpdater:
        """The engine and its updater for the model's backbone."""
        backbone = self.model_config.backbone
        if backbone == 'dense':
            self.log.logger.info(
                'dense-backbone model: every update is a full dense forward pass (mode %r and '
                'resync_every are ignored; results say mode %r)',
                self.config.mode,
                DENSE_MODE,
            )
            return DenseUpdater(DenseEngine.from_model(model, torch.float32))
        if backbone != 'sparse':
            raise ConfigError(f"unknown backbone {backbone!r}; valid choices: ['dense', 'sparse']")
        engine = AsyncEngine.from_model(model, torch.float32, self.config.resync_every or None)
        return AdaptiveUpdater(engine, self.config.mode)

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
        return self._stream.events.window.events().copy()

    def reset(self) -> None:
        """Forget the stream (window, representation, engine, decoders); keep the counters."""
        self._stream = None
        self._newest_header_ns = None
        self.decoder.reset()
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
            self.decoder.decode(msg)  # a message of another size decodes with fresh decoders

    def forget(self, seqs: Sequence[int]) -> None:
        """Messages of ``seqs`` (in arrival order) were received and dropped undecoded.

        Their seq steps are followed like those of decoded messages: a gap among them is a
        transport loss; the messages themselves are not lost.
        """
        for seq in seqs:
            self.decoder.follow(int(seq))

    def flush(self, msg: EventMessage | None = None) -> list[Result]:
        """Apply events held back by the update policy (end of a bag); at most one output."""
        stream = self._stream
        if stream is None or not stream.pending:
            return []
        chunk = concatenate_events(stream.pending)
        stream.pending = []
        ref = msg or EventMessage(0, '', stream.sensor.width, stream.sensor.height, 'evt3')
        return [self._update(stream, chunk, ref, int(chunk['t'][0]))]

    def _ingest(self, msg: EventMessage) -> tuple[_Stream, int, EventMessage] | None:
        """Decode and order a message's events into the pending buffer.

        Returns (stream, first event time, the message), ``None`` when rejected. A message of
        another sensor size restarts the stream only once it proved usable.
        """
        self.counters.messages += 1
        looped = self._header_went_back(msg)
        decoded = self.decoder.decode(msg, fresh=looped)  # a loop: read with fresh decoders
        if decoded is None:
            return None
        sensor, decoders, events = decoded
        if not len(events):
            self.counters.empty_messages += 1
            return None
        stream = self._loop_checked(msg, looped)
        if stream is None or stream.sensor != sensor:
            self.decoder.adopt(sensor, decoders)
            stream = self._install(self._new_stream(sensor))
        stream, events = self._order(stream, events)
        self.counters.events += len(events)
        stream.pending.append(events)
        return stream, int(events['t'][0]), msg

    def _reject(self, counter: str, kind: str, message: str, n: int = 1) -> None:
        """Add ``n`` to ``counter``; log ``message`` with the counter's total (rate-limited)."""
        total = getattr(self.counters, counter) + n
        setattr(self.counters, counter, total)
        self.log.warning(kind, f'{message} (counter {counter}={total})')

    def _log_seq(self, lost: int, seq: int) -> None:
        self.log.warning(
            'seq',
            f'{lost} message(s) lost before seq {seq} (transport or queue; counters '
            f'seq_gaps={self.counters.seq_gaps}, lost_messages={self.counters.lost_messages})',
        )

    def _new_stream(self, sensor: SensorSize) -> _Stream:
        mc = self.model_config
        mapping = InputMapping(sensor, mc.input_size)
        self._tell_mapping(mapping)
        rep = make_representation(mc.representation, mapping)
        stream = EventStream(self.updater.engine, rep, self.config.window, self.updater)
        return _Stream(sensor, stream)

    def _tell_mapping(self, mapping: InputMapping) -> None:
        """Say once per sensor size how it maps onto the model (a warning when far off)."""
        note = describe_mapping(mapping, self.model_config.sensor_size)
        self.input_mapping = note.details
        if mapping.sensor not in self._told_sensors:
            self._told_sensors.add(mapping.sensor)
            self.log.logger.log(note.level, note.text)

    def _install(self, stream: _Stream) -> _Stream:
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
        return stream

    def _loop_checked(self, msg: EventMessage, looped: bool) -> _Stream | None:
        """Note a usable message's header stamp; the stream, or ``None`` after a loop."""
        newest = self._newest_header_ns
        stamp = int(msg.stamp_ns)
        self._newest_header_ns = stamp if looped or newest is None else max(newest, stamp)
        if looped and self._stream is not None:
            self._reject(
                'time_resets',
                'time',
                f'header stamp went back from {newest} ns to {stamp} ns (looped bag or camera '
                'restart): decoders and stream state reset',
            )
            return None
        return self._stream

    def _header_went_back(self, msg: EventMessage) -> bool:
        """Whether ``msg``'s header stamp is far behind the newest usable one (a loop)."""
        newest = self._newest_header_ns
        return newest is not None and int(msg.stamp_ns) < newest - HEADER_BACK_TOLERANCE_NS

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
                self.counters.resets_after_gap += self.decoder.seq.after_gap
                self._reject(
                    'time_resets',
                    'time',
                    f'time went back from {last} us to {int(t[0])} us (looped bag or camera '
                    'restart): stream state reset',
                )
                stream = self._install(self._new_stream(stream.sensor))
            else:
                late = t < last
                self.counters.clamped_events += int(np.count_nonzero(late))
                events = events.copy()
                events['t'][late] = last
        stream.last_t_us = int(events['t'][-1])
        self.decoder.seq.after_gap = False
        return stream, events

    def _chunks(self, stream: _Stream, coalesce: bool) -> list[np.ndarray]:
        """Split the pending events into update steps by the update policy."""
        cfg, held = self.config, stream.pending
        every = (cfg.update_every_events, cfg.update_every_us)
        newest = int(held[-1]['t'][-1]) if held else 0  # gathered only when an update is due
        n_held = sum(map(len, held)) if cfg.update_every_events else 0  # counted only if used
        if not held or not policy_due(newest, n_held, *every, stream.next_update_t_us):
            return []
        if every == (None, None):  # one update of all that is pending: only what can enter it
            held = stream.pending = stream.events.window.entering(held)
        pending = concatenate_events(held)
        cut, stream.next_update_t_us = policy_cuts(pending['t'], *every, stream.next_update_t_us)
        if not cut:
            stream.pending = [pending]
            return []
        if coalesce:
            cut = [cut[-1]]
        chunks = np.split(pending[: cut[-1]], cut[:-1])
        rest = pending[cut[-1] :]
        stream.pending = [rest] if len(rest) else []
        return chunks

    def _update(
        self, stream: _Stream, chunk: np.ndarray, msg: EventMessage, first_t: int
    ) -> Result:
        start = self.clock()
        out = stream.events.push(chunk)
        mode = self.updater.last_mode
        self.counters.updates += 1
        if mode == 'async':
            self.counters.async_updates += 1
        else:
            self.counters.recomputes += 1
        t_last = int(chunk['t'][-1])
        stamp = max(msg.stamp_ns + max(t_last - first_t, 0) * 1000, stream.last_stamp_ns)
        stream.last_stamp_ns = stamp
        head = ResultHead(stamp, msg.frame_id, t_last, len(stream.events.window), mode)
        mapping: InputMapping = stream.events.representation.mapping
        result = build_result(
            out,
            head,
            self.model_config,
            self.config,
            mapping,
            lambda: self.clock() - start,
        )
        self.counters.outputs += 1
        return result
