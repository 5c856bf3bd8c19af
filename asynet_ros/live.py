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
When the queue is full, the policy decides which message is dropped: ``oldest`` (default: the
freshest data matters most for perception) or ``newest``; both are counted in
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

__all__ = ['DROP_POLICIES', 'LiveRunner', 'LiveStats']

DROP_POLICIES = ('oldest', 'newest')
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
        drop: ``oldest`` or ``newest``: which message a full queue drops.
        logger: where rate-limited problem lines go.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        publish: Callable[[Result, float], None],
        *,
        queue_size: int = 16,
        drop: str = 'oldest',
        logger: logging.Logger | None = None,
    ) -> None:
        if drop not in DROP_POLICIES:
            raise ConfigError(
                f'unknown drop policy {drop!r}; valid choices: {list(DROP_POLICIES)}'
            )
        if isinstance(queue_size, bool) or not isinstance(queue_size, int) or queue_size < 1:
            raise ConfigError(f'queue_size must be an int >= 1, got {queue_size!r}')
        self.pipeline = pipeline
        self.publish = publish
        self.queue_size = queue_size
        self.drop = drop
        self.stats = LiveStats()
        self.log = RateLimitedLog(logger or _LOG)
        self._queue: collections.deque[tuple[float, EventMessage]] = collections.deque()
        # dropped messages still to decode, the newest queue_size of them (for evt3 enough when
        # they span a 4096 us TIME_HIGH period, e.g. the default 16 packets of 1 ms)
        self._skipped: collections.deque[EventMessage] = collections.deque(maxlen=queue_size)
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
        with self._cv:
            self.stats.received += 1
            accepted = True
            if len(self._queue) >= self.queue_size:
                self.stats.dropped_queue_full += 1
                self._forget_oldest_skipped()
                if self.drop == 'newest':
                    accepted = False
                    self._skipped.append(msg)
                else:
                    self._skipped.append(self._queue.popleft()[1])
                self.log.warning(
                    'queue',
                    f'queue full ({self.queue_size} messages): dropped the {self.drop} message '
                    f'(counter dropped_queue_full={self.stats.dropped_queue_full})',
                )
            if accepted:
                self._queue.append((now, msg))
                self.stats.max_queue = max(self.stats.max_queue, len(self._queue))
                self._cv.notify()
        return accepted

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
        forgotten: list[int] | None = None,
    ) -> None:
        self.stats.batches += 1
        msgs = [m for _, m in batch]
        try:
            if self.drop == 'oldest' and skipped:  # dropped before the batch arrived
                self._skip(skipped, forgotten or [])
            if len(msgs) == 1:
                results = self.pipeline.process(msgs[0])
            else:
                self.stats.backlog_batches += 1
                results = self.pipeline.process_batch(msgs)
            if self.drop == 'newest' and skipped:  # rejected while the batch filled the queue
                self._skip(skipped, forgotten or [])
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
