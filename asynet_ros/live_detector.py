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

"""The live detector both transports run: raw event messages in, serialised outputs out.

The rclpy node and ``asynet-detect`` over Cyclone DDS differ only in how bytes arrive and leave:
each gives a :class:`LiveDetector` its received CDR bytes (:meth:`LiveDetector.offer_raw`) and a
``send(key, data)`` that writes serialised messages to the publisher of ``key`` in
:func:`~asynet_ros.publishing.node_publishers`'s table (``out``, ``labels``, ``image``, ``diag``).
Everything in between is here: CDR decoding and its rejection counter, the live queue, the result,
label, image and diagnostics messages, latency samples and the summary.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
import dataclasses
import logging
from typing import Any, TYPE_CHECKING

import numpy as np

from asynet_core.errors import AsynetError
from asynet_ros import messages, publishing
from asynet_ros.cdr import cdr_to_event_message
from asynet_ros.live import DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_SIZE, LiveRunner
from asynet_ros.pipeline import Result
from asynet_ros.ratelimit import RateLimitedLog

if TYPE_CHECKING:  # the pipeline imports torch: not at import time
    from asynet_ros.pipeline import Pipeline

__all__ = ['LATENCY_SAMPLES', 'LiveDetector', 'Send']

_LOG = logging.getLogger('asynet_ros.live_detector')
#: Latencies kept for the summary: the latest outputs' (a list would grow forever).
LATENCY_SAMPLES = 100_000
#: ``send(key, data)``: write serialised bytes to the publisher of output ``key``.
Send = Callable[[str, bytes], None]


class LiveDetector:
    """A pipeline behind a live queue, publishing through a transport's ``send``.

    Args:
        pipeline: the pipeline to run.
        typestore: the rosbags typestore that reads and writes the messages.
        send: writes serialised bytes to the publisher of an output key.
        message_type: the ROS type of the event topic.
        name: the diagnostics status name.
        frame_id: output frame id (empty: the input's); may be changed at any time.
        debug_image: also send the annotated event frame; may be changed at any time.
        queue_size: live queue bound, messages.
        queue_bytes: live queue bound, payload bytes.
        drop: live queue drop policy.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        typestore: Any,
        send: Send,
        *,
        message_type: str,
        name: str = 'asynet_detector',
        frame_id: str = '',
        debug_image: bool = False,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        queue_bytes: int = DEFAULT_QUEUE_BYTES,
        drop: str = 'oldest',
    ) -> None:
        self.ts = typestore
        self.factory = messages.RosbagsFactory(typestore)
        self.send = send
        self.message_type = message_type
        self.name = name
        self.frame_id = frame_id
        self.debug_image = debug_image
        self.runner = LiveRunner(
            pipeline, self._publish, queue_size=queue_size, queue_bytes=queue_bytes, drop=drop
        )
        self.latencies_s: collections.deque[float] = collections.deque(maxlen=LATENCY_SAMPLES)
        self.undecodable = 0  # received messages whose CDR could not be read as message_type
        self.log = RateLimitedLog(_LOG)

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline the worker runs."""
        return self.runner.pipeline

    def start(self) -> None:
        """Start the worker."""
        self.runner.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the worker (what is queued is dropped; see :meth:`LiveRunner.stop`)."""
        self.runner.stop(timeout_s)

    def offer_raw(self, raw: bytes | memoryview) -> None:
        """Decode one received message and queue it; count and log one that cannot be read."""
        try:
            msg = cdr_to_event_message(self.ts, raw, self.message_type)
        except AsynetError as err:
            self.undecodable += 1
            self.log.warning(
                'cdr',
                f'dropped message that cannot be deserialised as {self.message_type}: {err} '
                f'(counter undecodable_messages={self.undecodable})',
            )
            return
        self.runner.offer(msg)

    def send_label_info(self, stamp_ns: int) -> None:
        """The class map and threshold (once per activation, and after a threshold change)."""
        self._send(*publishing.label_info(self.factory, self.pipeline, stamp_ns, self.frame_id))

    def send_diagnostics(self, stamp_ns: int) -> None:
        """The pipeline counters, the live queue statistics and the undecodable count."""
        stats = {**dataclasses.asdict(self.runner.stats), 'undecodable_messages': self.undecodable}
        out = publishing.diagnostics(self.factory, self.name, self.pipeline, stats, stamp_ns)
        self._send(*out)

    def summary(self) -> dict[str, Any]:
        """Messages, outputs, latency percentiles (ms, latest outputs) and drops."""
        lat = np.asarray(self.latencies_s) * 1e3
        stats = self.runner.stats
        return {
            'received': stats.received,
            'outputs': self.pipeline.counters.outputs,
            'events': self.pipeline.counters.events,
            'latency_ms_p50': float(np.percentile(lat, 50)) if len(lat) else None,
            'latency_ms_p99': float(np.percentile(lat, 99)) if len(lat) else None,
            'dropped_queue_full': stats.dropped_queue_full,
            'backlog_batches': stats.backlog_batches,
            'rejected': self.undecodable,
            'counters': self.pipeline.counters.to_dict(),
        }

    def _publish(self, result: Result, latency_s: float) -> None:
        self.latencies_s.append(latency_s)
        outputs = publishing.result_outputs(
            self.factory,
            self.pipeline,
            result,
            frame_id=self.frame_id,
            debug_image=self.debug_image,
        )
        for out in outputs:
            self._send(*out)

    def _send(self, key: str, msgtype: str, msg: Any) -> None:
        self.send(key, bytes(self.ts.serialize_cdr(msg, msgtype)))
