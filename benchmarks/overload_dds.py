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

"""Overload: the live detector over Cyclone DDS fed ``factor`` times the event rate it sustains.

Run::

    PYTHONPATH=. python -m benchmarks.overload_dds [--seconds 60] [--factor 10] [--json OUT]
        [--domain-id D] [--checkpoint C] [--mode adaptive] [--queue-size 64]
        [--probe-rate 1e6] [--probe-packets 200] [--warmup 5]

Method.

1. Sustainable rate, in process: a :class:`~asynet_ros.pipeline.Pipeline` configured as
   ``asynet-detect`` configures it (the checkpoint's training window, ``--mode``) processes
   synthetic 304x240 evt3 EventPackets of 1 ms each (two moving shapes, ``--probe-rate``
   events/s), one update per message, back to back, on a worker thread with one torch thread as
   in the detector. After a warm-up (a quarter of the packets) the sustainable rate is
   ``events processed / seconds spent``, and ``seconds / packets`` the cost of an update. That
   cost grows much more slowly than the events per packet (on 2 idle cores about 2 ms at 20
   events, 4 ms at 1000, 6 ms at 3000), and stays above 1 ms, so at the driver's packet size
   (1000 messages/s) the detector cannot do one update per message at any event rate; live, it
   coalesces the backlog into one update (:mod:`asynet_ros.live`). The figure is the event rate
   the pipeline gets through, one update per message of the probe's size; ``factor`` x it is an
   overload in events/s, and 1000 packets/s against ``1 / cost`` updates/s in messages.
2. Overload: ``asynet-detect --transport dds`` runs in a child process (loopback Cyclone config).
   This process publishes the same kind of packets (best effort, depth 1000, as metavision_driver
   does) at ``factor`` x that rate, 1 ms of events per packet and one packet per millisecond of
   wall time (sensor time runs at wall time), for ``--seconds``. The packets come from a pool of
   512 ms (the least common multiple of the 1 ms packet and the 4096 us evt3 TIME_HIGH period)
   encoded once; each loop of the pool patches the header stamp, ``seq`` and the TIME_HIGH words,
   so the stream's time keeps increasing (and rolls the 24-bit evt3 counter over) at no
   encoding cost. Meanwhile this process samples the detector's ``VmRSS`` (``/proc/PID/status``)
   every second and subscribes to its detections: outputs per 1 s bin, and latency = arrival
   minus the publish time of the newest packet whose header stamp is not after the detection's.
3. Report: sustainable and offered rates, packets sent, the detector's own summary (received,
   processed, ``dropped_queue_full``, ``backlog_batches``, counters), outputs per second, latency
   p50 / p99 / max and RSS at the end of the warm-up, max, end and growth; a table, then the
   figures as one JSON line (indented in ``--json OUT``).
"""

from __future__ import annotations

import argparse
import bisect
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field
import json
import math
import os
from pathlib import Path
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import numpy as np

from asynet_core.events import SensorSize
from asynet_ros import bundled_checkpoint, messages
from asynet_ros.dds import qos
from asynet_ros.dds.config import use_loopback
from asynet_ros.dds.transport import DdsGraph, RawPublisher, RawSubscription
from asynet_ros.encoders import Evt3Encoder
from asynet_ros.event_message import EventMessage
from asynet_ros.interfaces import typestore
from asynet_ros.live import DEFAULT_QUEUE_SIZE

__all__ = ['PacketPool', 'main', 'make_pool', 'run', 'sustainable_rate']

SENSOR = SensorSize(304, 240)
PACKET_US = 1000
POOL_US = 512_000  # lcm(PACKET_US, 4096): the pool loops on a packet and a TIME_HIGH boundary
TOPIC = '/event_camera/events'
DETECTIONS = '/asynet_detector/detections'
PACKET = 'event_camera_msgs/msg/EventPacket'
DETECTION_ARRAY = 'vision_msgs/msg/Detection2DArray'
FRAME_ID = 'event_camera'
RSS_GOAL_MB = 50.0
_TIME_HIGH = 0x8  # evt3 word type of TIME_HIGH (the top 4 bits)
_SEQ_MARK = 0x0123456789ABCDEF


@dataclass(frozen=True)
class PacketPool:
    """512 ms of 1 ms evt3 EventPackets, serialised once, to be looped with patched times.

    Attributes:
        rate: events per second of sensor time.
        slots: each packet's slot (ms from the pool start).
        first_us: each packet's first event time (µs from the pool start).
        counts: events per packet.
        cdr: each packet's CDR bytes (stamp 0, seq 0).
        payload_at: byte offset of each packet's evt3 payload in its CDR bytes.
        high_words: each payload's TIME_HIGH word indices.
        seq_at: byte offset of ``seq`` in the CDR bytes (the same for every packet).
    """

    rate: float
    slots: list[int]
    first_us: list[int]
    counts: list[int]
    cdr: list[bytes]
    payload_at: list[int]
    high_words: list[np.ndarray]
    seq_at: int

    def __len__(self) -> int:
        return len(self.cdr)

    @property
    def events(self) -> int:
        """Events in one loop of the pool."""
        return sum(self.counts)

    def message(self, i: int, start_ns: int) -> tuple[int, bytes]:
        """(header stamp ns, CDR bytes) of packet ``i`` of the endless stream."""
        loop, j = divmod(i, len(self))
        stamp = start_ns + (loop * POOL_US + self.first_us[j]) * 1000
        data = bytearray(self.cdr[j])
        struct.pack_into('<iI', data, 4, stamp // 10**9, stamp % 10**9)
        struct.pack_into('<Q', data, self.seq_at, i)
        if loop:
            words = np.frombuffer(data, dtype='<u2', offset=self.payload_at[j])
            at = self.high_words[j]
            step = loop * (POOL_US >> 12) & 0xFFF  # TIME_HIGH counts 4096 us, modulo 2**12
            words[at] = (_TIME_HIGH << 12) | ((words[at] + step) & 0xFFF)
        return stamp, bytes(data)

    def slot_ms(self, i: int) -> int:
        """Milliseconds from the stream start at which packet ``i`` is due."""
        loop, j = divmod(i, len(self))
        return loop * (POOL_US // PACKET_US) + self.slots[j]

    def event_message(self, i: int, start_ns: int = 0) -> EventMessage:
        """Packet ``i`` (within the first loop, seq ``i``) as the pipeline takes it."""
        stamp, data = self.message(i, start_ns)
        payload = np.frombuffer(data, dtype=np.uint8, offset=self.payload_at[i])
        return EventMessage(
            stamp, FRAME_ID, SENSOR.width, SENSOR.height, 'evt3', payload=payload, seq=i
        )


def make_pool(rate: float, seed: int = 0, sensor: SensorSize = SENSOR) -> PacketPool:
    """512 ms of 1 ms evt3 packets of two moving shapes on ``sensor`` at ``rate`` events/s."""
    from asynet_training.synthetic.shapes import make_detection_sample

    count = max(round(rate * POOL_US / 1e6), POOL_US // PACKET_US)
    events, _ = make_detection_sample(
        sensor, 2, count, [POOL_US // 2], np.random.default_rng(seed), duration_us=POOL_US
    )
    cuts = np.searchsorted(events['t'], np.arange(PACKET_US, POOL_US + 1, PACKET_US))
    encoder, ts = Evt3Encoder(), typestore()
    slots, first, counts, cdr, payload_at, highs = [], [], [], [], [], []
    lo = 0
    for slot, hi in enumerate(cuts):
        part, lo = events[lo:hi], hi
        if not len(part):
            continue
        payload = encoder.encode(part)
        data = _serialise(ts, payload, 0, sensor)
        slots.append(slot)
        first.append(int(part['t'][0]))
        counts.append(len(part))
        cdr.append(data)
        payload_at.append(len(data) - len(payload))
        highs.append(_time_high_words(payload))
    del events  # the CDR copies are what the pool keeps (about 0.5 GB at 50 Mev/s)
    marked = _serialise(ts, b'', _SEQ_MARK, sensor)
    return PacketPool(
        rate=rate,
        slots=slots,
        first_us=first,
        counts=counts,
        cdr=cdr,
        payload_at=payload_at,
        high_words=highs,
        seq_at=marked.index(struct.pack('<Q', _SEQ_MARK)),
    )


def _serialise(ts: Any, payload: bytes, seq: int, sensor: SensorSize = SENSOR) -> bytes:
    size = (sensor.width, sensor.height)
    msg = messages.event_packet(
        messages.RosbagsFactory(ts), 0, FRAME_ID, size, 'evt3', payload, seq=seq
    )
    return bytes(ts.serialize_cdr(msg, PACKET))


def _time_high_words(payload: bytes) -> np.ndarray:
    words = np.frombuffer(payload, dtype='<u2')
    return np.flatnonzero(words >> 12 == _TIME_HIGH)


# -- 1. sustainable rate ----------------------------------------------------------------------


def sustainable_rate(
    checkpoint: Path, mode: str, probe_rate: float, packets: int = 200, warmup: int = 50
) -> dict[str, float]:
    """Events/s the pipeline sustains with one update per 1 ms packet (see the module doc).

    As in ``asynet-detect``: one torch thread (:func:`limit_torch_threads`; restored after) and
    the pipeline on a worker thread, like the detector's :class:`LiveRunner`.
    """
    import torch

    from asynet_ros.pipeline import limit_torch_threads, Pipeline

    pipeline = Pipeline.from_checkpoint(checkpoint, values={'mode': mode})
    pool = make_pool(probe_rate, seed=1)
    msgs = [pool.event_message(i) for i in range(min(packets, len(pool)))]
    out: dict[str, float] = {}
    worker = threading.Thread(
        target=_time_updates,
        args=(pipeline, msgs, warmup, out),
    )
    threads = torch.get_num_threads()
    limit_torch_threads()
    try:
        worker.start()
        worker.join()
    finally:
        torch.set_num_threads(threads)
    timed = len(msgs) - warmup
    return {
        'probe_rate_ev_s': probe_rate,
        'packets_timed': timed,
        'update_ms': out['seconds'] / timed * 1e3,
        'updates_per_s': timed / out['seconds'],
        'sustainable_ev_s': out['events'] / out['seconds'],
    }


def _time_updates(
    pipeline: Any, msgs: list[EventMessage], warmup: int, out: dict[str, float]
) -> None:
    """Process ``msgs`` one update each; time those after ``warmup`` into ``out``."""
    for msg in msgs[:warmup]:
        pipeline.process(msg)
    before = pipeline.counters.events
    start = time.perf_counter()
    for msg in msgs[warmup:]:
        pipeline.process(msg)
    out['seconds'] = time.perf_counter() - start
    out['events'] = pipeline.counters.events - before


# -- 2. overload over DDS -----------------------------------------------------------------------


@dataclass
class _Record:
    """What the publishing loop saw."""

    sent_stamps: list[int] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)
    events_sent: int = 0
    arrivals: list[tuple[float, bytes]] = field(default_factory=list)
    rss: list[tuple[float, float]] = field(default_factory=list)  # (s from start, MB)
    max_lag_s: float = 0.0

    def take(self, sub: RawSubscription, timeout_s: float) -> None:
        if sub.wait(timeout_s):
            now = time.perf_counter()
            self.arrivals += [(now, raw) for raw in sub.take(256)]


def rss_mb(pid: int) -> float:
    """Resident set size of process ``pid`` in MB (10**6 bytes), from ``/proc/PID/status``."""
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f'no VmRSS in /proc/{pid}/status')


def _spawn_detector(
    checkpoint: Path, domain_id: int, mode: str, queue_size: int, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, '-m', 'asynet_ros.cli.detect', '--transport', 'dds',
           '--input', TOPIC, '--domain-id', str(domain_id), '--checkpoint', str(checkpoint),
           '--mode', mode, '--queue-size', str(queue_size)]  # fmt: skip
    with log.open('wb') as err:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err)


def _drive(
    pub: RawPublisher,
    sub: RawSubscription,
    pool: PacketPool,
    seconds: float,
    pid: int,
) -> tuple[_Record, float]:
    """Publish the pool's stream for ``seconds``; sample RSS each second; take detections."""
    rec = _Record()
    start_ns = time.time_ns()
    t0 = time.perf_counter()
    next_rss, i = t0, 0
    while (now := time.perf_counter()) < t0 + seconds:
        if now >= next_rss:
            rec.rss.append((now - t0, rss_mb(pid)))
            next_rss += 1.0
        due = t0 + pool.slot_ms(i) / 1e3
        if now < due:
            rec.take(sub, min(due - now, 0.002))
            continue
        rec.max_lag_s = max(rec.max_lag_s, now - due)
        stamp, data = pool.message(i, start_ns)
        rec.sent_stamps.append(stamp)
        rec.sent_at.append(time.perf_counter())
        pub.publish(data)
        rec.events_sent += pool.counts[i % len(pool)]
        i += 1
    return rec, t0


def _wait_up(pub: RawPublisher, sub: RawSubscription, detector: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90.0
    while time.monotonic() < deadline and detector.poll() is None:
        if pub.matched_count() >= 1 and sub.matched_count() >= 1:
            time.sleep(0.5)  # let discovery settle both ways
            return
        time.sleep(0.05)
    detector.kill()
    raise RuntimeError('the detector did not come up within 90 s (or exited)')


def _stop(detector: subprocess.Popen[bytes]) -> tuple[int, dict[str, Any]]:
    detector.send_signal(signal.SIGINT)
    try:
        out, _ = detector.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        detector.kill()
        out, _ = detector.communicate()
    lines = out.decode(errors='replace').strip().splitlines()
    try:
        summary = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        summary = {}
    return detector.returncode, summary


def run(
    *,
    seconds: float = 60.0,
    factor: float = 10.0,
    domain_id: int = 79,
    checkpoint: Path | None = None,
    mode: str = 'adaptive',
    queue_size: int = DEFAULT_QUEUE_SIZE,
    probe_rate: float = 1e6,
    probe_packets: int = 200,
    warmup_s: float = 5.0,
    drain_s: float = 2.0,
    tmp_dir: Path | None = None,
) -> dict[str, Any]:
    """Measure the sustainable rate, then overload the detector; return the figures.

    ``tmp_dir`` (default: a new temporary folder) receives the Cyclone config and the detector's
    stderr (``detector.stderr``).
    """
    checkpoint = checkpoint or bundled_checkpoint()
    calib = sustainable_rate(checkpoint, mode, probe_rate, probe_packets, probe_packets // 4)
    pool = make_pool(factor * calib['sustainable_ev_s'])
    tmp = tmp_dir or Path(tempfile.mkdtemp(prefix='asynet_overload_'))
    env = dict(os.environ)
    use_loopback(tmp / 'cyclonedds.xml', env)
    log = tmp / 'detector.stderr'
    with _cyclone_uri(env['CYCLONEDDS_URI']):
        detector = _spawn_detector(checkpoint, domain_id, mode, queue_size, env, log)
        try:
            rec, t0, exit_code, summary = _measure(detector, pool, domain_id, seconds, drain_s)
        finally:
            if detector.poll() is None:
                detector.kill()
                detector.wait()
    spec = {'seconds': seconds, 'factor': factor, 'warmup_s': warmup_s, 'mode': mode,
            'queue_size': queue_size, 'domain_id': domain_id}  # fmt: skip
    return _figures(spec, calib, pool, rec, t0, exit_code, summary, log)


@contextlib.contextmanager
def _cyclone_uri(uri: str) -> Iterator[None]:
    """``CYCLONEDDS_URI`` of this process set to ``uri`` for the block, then restored."""
    old = os.environ.get('CYCLONEDDS_URI')
    os.environ['CYCLONEDDS_URI'] = uri
    try:
        yield
    finally:
        if old is None:
            os.environ.pop('CYCLONEDDS_URI', None)
        else:
            os.environ['CYCLONEDDS_URI'] = old


def _measure(
    detector: subprocess.Popen[bytes],
    pool: PacketPool,
    domain_id: int,
    seconds: float,
    drain_s: float,
) -> tuple[_Record, float, int, dict[str, Any]]:
    """Publish and record, then stop the detector; (record, start, exit code, its summary)."""
    with DdsGraph(domain_id) as graph:
        pub = graph.publisher(TOPIC, PACKET, qos.EVENTS_DRIVER)
        sub = graph.subscription(DETECTIONS, DETECTION_ARRAY, qos.DEFAULT)
        _wait_up(pub, sub, detector)
        idle_rss = rss_mb(detector.pid)
        rec, t0 = _drive(pub, sub, pool, seconds, detector.pid)
        end = time.perf_counter() + drain_s
        while (now := time.perf_counter()) < end:
            rec.take(sub, min(end - now, 0.05))
        exit_code, summary = _stop(detector)
    rec.rss.insert(0, (-1.0, idle_rss))
    return rec, t0, exit_code, summary


def _figures(
    spec: dict[str, Any],
    calib: dict[str, float],
    pool: PacketPool,
    rec: _Record,
    t0: float,
    exit_code: int,
    summary: dict[str, Any],
    log: Path,
) -> dict[str, Any]:
    seconds, warmup = spec['seconds'], spec['warmup_s']
    bins = _output_bins(rec, t0, seconds)
    steady = bins[math.ceil(warmup) :]
    sent = len(rec.sent_stamps)
    counters = summary.get('counters', {})
    fig = {
        **spec,
        'calibration': calib,
        'sustainable_ev_s': calib['sustainable_ev_s'],
        'offered_ev_s': pool.rate,
        'sent_ev_s': rec.events_sent / seconds,
        'events_per_packet': pool.events / len(pool),
        'packets_sent': sent,
        'packets_per_s': sent / seconds,
        'events_sent': rec.events_sent,
        'publisher_max_lag_ms': rec.max_lag_s * 1e3,
        'detector_exit': exit_code,
        'received': summary.get('received'),
        'lost_in_transport': None if not summary else sent - summary['received'],
        'processed_messages': counters.get('messages'),
        'processed_events': summary.get('events'),
        'dropped_queue_full': summary.get('dropped_queue_full'),
        'backlog_batches': summary.get('backlog_batches'),
        'outputs': summary.get('outputs'),
        'detections_received': len(rec.arrivals),
        'outputs_per_s': bins,
        'min_outputs_per_s_after_warmup': min(steady) if steady else None,
        'mean_outputs_per_s_after_warmup': float(np.mean(steady)) if steady else None,
        **_latency(rec),
        'rss_mb': _rss_figures(rec.rss, warmup),
        'detector': summary,
        'detector_log': str(log),
        'detector_stderr_tail': _tail(log) if exit_code else '',
    }
    return {**fig, 'checks': _checks(fig)}


def _checks(fig: dict[str, Any]) -> dict[str, bool]:
    """The goals of the overload run, each true when met."""
    low = fig['min_outputs_per_s_after_warmup']
    return {
        'outputs_every_second_after_warmup': bool(low),
        'drops_counted': bool(fig['dropped_queue_full'] or fig['backlog_batches']),
        'rss_growth_below_goal': fig['rss_mb']['max_growth'] < RSS_GOAL_MB,
        'detector_exit_0': fig['detector_exit'] == 0,
    }


def _output_bins(rec: _Record, t0: float, seconds: float) -> list[int]:
    """Detections received in each whole second of the publishing run."""
    bins = [0] * int(seconds)
    for arrived, _ in rec.arrivals:
        k = int(arrived - t0)
        if 0 <= k < len(bins):
            bins[k] += 1
    return bins


def _latency(rec: _Record) -> dict[str, float | None]:
    ts = typestore()
    latencies = []
    for arrived, raw in rec.arrivals:
        stamp = ts.deserialize_cdr(raw, DETECTION_ARRAY).header.stamp
        k = bisect.bisect_right(rec.sent_stamps, stamp.sec * 10**9 + stamp.nanosec) - 1
        if k >= 0:
            latencies.append((arrived - rec.sent_at[k]) * 1e3)
    lat = np.asarray(latencies)
    if not len(lat):
        return {'latency_ms_p50': None, 'latency_ms_p99': None, 'latency_ms_max': None}
    return {
        'latency_ms_p50': float(np.percentile(lat, 50)),
        'latency_ms_p99': float(np.percentile(lat, 99)),
        'latency_ms_max': float(lat.max()),
    }


def _rss_figures(samples: list[tuple[float, float]], warmup_s: float) -> dict[str, Any]:
    """RSS at the end of the warm-up (start), max and end after it, growth = end - start."""
    after = [mb for t, mb in samples if t >= warmup_s] or [samples[-1][1]]
    start, end = after[0], after[-1]
    return {
        'idle': samples[0][1],
        'start': start,
        'max': max(after),
        'end': end,
        'growth': end - start,
        'max_growth': max(after) - start,
        'goal_growth_below': RSS_GOAL_MB,
        'samples': [[round(t, 2), round(mb, 2)] for t, mb in samples],
    }


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return '\n'.join(log.read_text(errors='replace').splitlines()[-lines:])
    except OSError:
        return ''


# -- 3. report ----------------------------------------------------------------------------------


def table(fig: dict[str, Any]) -> str:
    """The headline figures as a two-column text table."""
    rss, calib = fig['rss_mb'], fig['calibration']
    processed = f'{fig["processed_messages"]} / {fig["processed_events"]}'
    rows = [
        ('update cost (1 ms packets, in process)', f'{calib["update_ms"]:.1f} ms/update'),
        ('sustainable rate', f'{fig["sustainable_ev_s"]:,.0f} ev/s'),
        ('offered rate (x factor)', f'{fig["offered_ev_s"]:,.0f} ev/s (x{fig["factor"]:g})'),
        ('sent rate', f'{fig["sent_ev_s"]:,.0f} ev/s, {fig["packets_per_s"]:.0f} packets/s'),
        ('duration', f'{fig["seconds"]:g} s ({fig["warmup_s"]:g} s warm-up)'),
        ('packets sent', f'{fig["packets_sent"]}'),
        ('detector received', f'{fig["received"]} (lost in transport {fig["lost_in_transport"]})'),
        ('processed messages / events', processed),
        ('dropped_queue_full', f'{fig["dropped_queue_full"]}'),
        ('backlog_batches', f'{fig["backlog_batches"]}'),
        ('outputs (detector / received)', f'{fig["outputs"]} / {fig["detections_received"]}'),
        ('outputs/s after warm-up', _rate_text(fig)),
        ('latency p50 / p99 / max', _latency_text(fig)),
        ('RSS start / max / end', f'{rss["start"]:.1f} / {rss["max"]:.1f} / {rss["end"]:.1f} MB'),
        ('RSS growth (goal < 50 MB)', f'{rss["growth"]:+.1f} MB (max {rss["max_growth"]:+.1f})'),
        ('detector exit code', f'{fig["detector_exit"]}'),
        ('goals met', ', '.join(f'{k}={v}' for k, v in fig['checks'].items())),
    ]
    width = max(len(k) for k, _ in rows)
    return '\n'.join(f'{k:<{width}}  {v}' for k, v in rows)


def _rate_text(fig: dict[str, Any]) -> str:
    low, mean = fig['min_outputs_per_s_after_warmup'], fig['mean_outputs_per_s_after_warmup']
    if low is None:
        return 'n/a'
    return f'min {low}, mean {mean:.1f}; per second: {fig["outputs_per_s"]}'


def _latency_text(fig: dict[str, Any]) -> str:
    keys = ('latency_ms_p50', 'latency_ms_p99', 'latency_ms_max')
    if fig['latency_ms_p50'] is None:
        return 'n/a'
    return ' / '.join(f'{fig[k]:.1f}' for k in keys) + ' ms'


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--seconds', type=float, default=60.0)
    p.add_argument('--factor', type=float, default=10.0)
    p.add_argument('--json', type=Path, help='also write the figures here')
    p.add_argument('--domain-id', type=int, default=79)
    p.add_argument('--checkpoint', type=Path, help='default: the bundled detector')
    p.add_argument('--mode', choices=('adaptive', 'async', 'recompute'), default='adaptive')
    p.add_argument(
        '--queue-size', type=int, default=DEFAULT_QUEUE_SIZE, help="the detector's live queue"
    )
    p.add_argument('--probe-rate', type=float, default=1e6, help='calibration events/s')
    p.add_argument('--probe-packets', type=int, default=200)
    p.add_argument('--warmup', type=float, default=5.0, help='seconds excluded from the minimum')
    args = p.parse_args(argv)
    if args.seconds < 1 or args.factor <= 0:
        p.error('--seconds must be >= 1 and --factor > 0')
    fig = run(
        seconds=args.seconds,
        factor=args.factor,
        domain_id=args.domain_id,
        checkpoint=args.checkpoint,
        mode=args.mode,
        queue_size=args.queue_size,
        probe_rate=args.probe_rate,
        probe_packets=args.probe_packets,
        warmup_s=args.warmup,
    )
    print(table(fig))
    print(json.dumps(fig))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(fig, indent=2) + '\n', encoding='utf-8')
    return 0 if fig['detector_exit'] == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
