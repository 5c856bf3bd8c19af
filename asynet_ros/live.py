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

"""A bounded queue between a live transport and the pipeline, with an explicit drop policy.

Transports (the rclpy node, Cyclone DDS) call :meth:`LiveRunner.offer` from their receive path;
it never blocks. A worker thread takes everything queued: one message is processed normally; a
backlog is processed with :meth:`Pipeline.process_batch`, one update for all of it, so the time
from arrival to output stays bounded at any event rate (together with the adaptive update mode).
The queue is bounded twice: by ``queue_size`` messages and by ``queue_bytes`` of payload. A
coalesced batch costs little more than one update (only the events that can still enter the
window reach it), so at a modest rate a deep queue only avoids drops: each drop sends newer events
into the window, and a larger change makes the next update dearer (a 16-message bound dropped 40 %
of a 0.1 Mev/s stream on a busy 2-core machine, where 64 dropped none). At tens of Mev/s a 1 ms
packet holds about 100 kB and every queued packet must be decoded, so the byte bound keeps a batch
to the newest few of them. When the queue is full, the policy decides which message is dropped:
``oldest`` (default: the freshest data matters most for perception) or ``newest``; both are
counted in
``dropped_queue_full``; their events never reach the window, while nothing that reached it is
lost. Their payloads still go through the stream's decoder (:meth:`Pipeline.skip`, events
discarded) before or after the next batch, in arrival order, because decoders keep state across
messages: evt3 sends the high bits of the time only every 4096 us, so a dropped packet holding
them would make the next events seem to step back in time and reset the stream.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass
import logging
import threading
import time
from typing import TYPE_CHECKING

from asynet_core.errors import ConfigError
from asynet_ros.event_message import DVS_ENCODING, EventMessage
from asynet_ros.ratelimit import RateLimitedLog

if TYPE_CHECKING:  # the pipeline imports torch; the option parsers importing this must not
    from asynet_ros.pipeline import Pipeline, Result

__all__ = [
    'DEFAULT_QUEUE_BYTES',
    'DEFAULT_QUEUE_SIZE',
    'DROP_POLICIES',
    'SKIPPED_KEPT',
    'LiveRunner',
    'LiveStats',
    'message_bytes',
]

DROP_POLICIES = ('oldest', 'newest')
#: Messages queued at most by default: 64 ms of a driver's 1 ms packets.
DEFAULT_QUEUE_SIZE = 64
#: Payload bytes queued at most by default (about ten 1 ms evt3 packets at 50 Mev/s).
DEFAULT_QUEUE_BYTES = 1 << 20
#: Dropped messages kept to decode (their events discarded) before the next batch: 16 packets of
#: 1 ms span a 4096 us evt3 TIME_HIGH period, so the decoder never misses a change of it.
SKIPPED_KEPT = 16
_LOG = logging.getLogger('asynet_ros.live')


@dataclass
class LiveStats:
    """Queue counters and output latency (arrival of the newest message -> output)."""

    received: int = 0
    dropped_queue_full: int = 0
    batches: int = 0
    backlog_batches: int = 0
    max_queue: int = 0
    errors: int = 0
    publish_errors: int = 0
    discarded_at_stop: int = 0


class LiveRunner:
    """Runs a pipeline on a worker thread fed by a bounded queue.

    Args:
        pipeline: the pipeline (only the worker thread touches it once started).
        publish: called on the worker thread with each result and its latency in seconds.
        queue_size: messages held at most.
        queue_bytes: payload bytes held at most (:func:`message_bytes`; a single message larger
            than this is still taken into an empty queue).
        drop: ``oldest`` or ``newest``: which message a full queue drops.
        logger: where rate-limited problem lines go.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        publish: Callable[[Result, float], None],
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        queue_bytes: int = DEFAULT_QUEUE_BYTES,
        drop: str = 'oldest',
        logger: logging.Logger | None = None,
    ) -> None:
        if drop not in DROP_POLICIES:
            raise ConfigError(
                f'unknown drop policy {drop!r}; valid choices: {list(DROP_POLICIES)}'
            )
        if isinstance(queue_size, bool) or not isinstance(queue_size, int) or queue_size < 1:
            raise ConfigError(f'queue_size must be an int >= 1, got {queue_size!r}')
        if isinstance(queue_bytes, bool) or not isinstance(queue_bytes, int) or queue_bytes < 1:
            raise ConfigError(f'queue_bytes must be an int >= 1, got {queue_bytes!r}')
        self.pipeline = pipeline
        self.publish = publish
        self.queue_size = queue_size
        self.queue_bytes = queue_bytes
        self._queued_bytes = 0
        self.drop = drop
        self.stats = LiveStats()
        self.log = RateLimitedLog(logger or _LOG)
        self._queue: collections.deque[tuple[float, EventMessage]] = collections.deque()
        # dropped messages still to decode, the newest SKIPPED_KEPT of them
        self._skipped: collections.deque[EventMessage] = collections.deque(maxlen=SKIPPED_KEPT)
        # seqs of dropped messages let go of undecoded, in arrival order: received, so their seq
        # steps are followed (a gap among them is still a transport loss), just not decoded
        self._forgotten: list[int] = []
        self._cv = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._busy = False

    def offer(self, msg: EventMessage) -> bool:
        """Queue a message (any thread, never blocks); False if it was the one dropped."""
        now = time.perf_counter()
        size = message_bytes(msg)
        with self._cv:
            self.stats.received += 1
            if self.drop == 'newest' and self._full(size):
                self._dropped(msg)
                return False
            while self._full(size):  # drop == 'oldest'
                _, oldest = self._queue.popleft()
                self._queued_bytes -= message_bytes(oldest)
                self._dropped(oldest)
            self._queue.append((now, msg))
            self._queued_bytes += size
            self.stats.max_queue = max(self.stats.max_queue, len(self._queue))
            self._cv.notify()
        return True

    def _full(self, size: int) -> bool:
        """Whether a message of ``size`` bytes must wait for a drop (an empty queue takes any)."""
        queue = self._queue
        return bool(queue) and (
            len(queue) >= self.queue_size or self._queued_bytes + size > self.queue_bytes
        )

    def _dropped(self, msg: EventMessage) -> None:
        """Count and log a message the full queue dropped; keep it to decode (lock held)."""
        self.stats.dropped_queue_full += 1
        self._forget_oldest_skipped()
        self._skipped.append(msg)
        self.log.warning(
            'queue',
            f'queue full ({len(self._queue)} messages, {self._queued_bytes} bytes; at most '
            f'{self.queue_size} and {self.queue_bytes}): dropped the {self.drop} message '
            f'(counter dropped_queue_full={self.stats.dropped_queue_full})',
        )

    def start(self) -> None:
        """Start the worker thread (one at most: a worker still finishing a batch is kept)."""
        with self._cv:
            self._stop = False
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._work, name='asynet-pipeline', daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the worker after the batch in progress; queued messages are discarded.

        They are counted in ``discarded_at_stop``.
        """
        with self._cv:
            self._stop = True
            self._cv.notify()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            if not thread.is_alive():
                self._thread = None
        with self._cv:
            self.stats.discarded_at_stop += len(self._queue)
            self._queue.clear()
            self._queued_bytes = 0
            self._skipped.clear()

    def pending(self) -> int:
        """Messages waiting in the queue."""
        with self._cv:
            return len(self._queue)

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until the queue is empty and the worker idle (tests, end of a stream)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._cv:
                if not self._queue and not self._busy:
                    return True
            time.sleep(0.005)
        return False

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._stop:
                    self._cv.wait(0.1)
                if self._stop:
                    return
            self.step()

    def step(self) -> bool:
        """Run what is queued now, as one batch, on the calling thread; False if nothing was.

        The worker's loop body; without :meth:`start`, a caller that owns the pipeline drives the
        queue itself (:mod:`asynet_ros.realtime` replays a recording in simulated time this way).
        """
        with self._cv:
            if not self._queue:
                return False
            batch = list(self._queue)
            skipped = list(self._skipped)
            forgotten, self._forgotten = self._forgotten, []
            self._queue.clear()
            self._queued_bytes = 0
            self._skipped.clear()
            self._busy = True
        try:
            self._run(batch, skipped, forgotten)
        except Exception as err:  # a publisher failing must not end the worker
            self.stats.errors += 1
            self.log.warning('error', f'worker error: {type(err).__name__}: {err}')
        finally:
            with self._cv:
                self._busy = False
        return True

    def _skip(self, skipped: list[EventMessage], forgotten: list[int]) -> None:
        """Decode the dropped messages kept; those let go of were received, not lost."""
        if forgotten:
            self.pipeline.forget(forgotten)
        self.pipeline.skip(skipped)

    def _forget_oldest_skipped(self) -> None:
        """Note the seq of a dropped message the bounded skip list is about to let go of."""
        if len(self._skipped) == self._skipped.maxlen:
            oldest = self._skipped[0]
            if oldest.encoding != DVS_ENCODING:  # dvs_msgs/EventArray carries no seq
                self._forgotten.append(int(oldest.seq))

    def _run(
        self,
        batch: list[tuple[float, EventMessage]],
        skipped: list[EventMessage],
        forgotten: list[int],
    ) -> None:
        self.stats.batches += 1
        msgs = [m for _, m in batch]
        try:
            if self.drop == 'oldest' and skipped:  # dropped before the batch arrived
                self._skip(skipped, forgotten)
            if len(msgs) == 1:
                results = self.pipeline.process(msgs[0])
            else:
                self.stats.backlog_batches += 1
                results = self.pipeline.process_batch(msgs)
            if self.drop == 'newest' and skipped:  # rejected while the batch filled the queue
                self._skip(skipped, forgotten)
        except Exception as err:  # keep the node alive whatever a message did
            self.stats.errors += 1
            self.log.warning(
                'error', f'pipeline error, batch dropped: {type(err).__name__}: {err}'
            )
            return
        arrived = batch[-1][0]
        for result in results:
            try:
                self.publish(result, time.perf_counter() - arrived)
            except Exception as err:  # e.g. a publisher destroyed at shutdown
                self.stats.errors += 1
                self.stats.publish_errors += 1
                self.log.warning('publish', f'publishing failed: {type(err).__name__}: {err}')


def message_bytes(msg: EventMessage) -> int:
    """What a queued message weighs: its encoded payload, else its decoded events (dvs_msgs)."""
    if msg.payload is not None:
        return len(msg.payload)
    return 0 if msg.events is None else int(msg.events.nbytes)
