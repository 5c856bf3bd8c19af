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

"""The project's Cyclone DDS transport against real rclpy on Fast DDS, both directions.

Every test runs a real rclpy node (``test/helpers/rclpy_peer.py``), a child process under a ROS 2
distro's Python: Jazzy (Fast DDS 2.14, ``.venv``) and Kilted (Fast DDS 3.2, ``.venv/kilted``
from ``make kilted``; skipped without it). The Cyclone side is ``asynet-play`` or
``asynet-detect --transport dds``. All processes share one domain id, on loopback only (Cyclone
``loopback_config``, the Fast DDS profile of ``ros_helpers``).
"""

from __future__ import annotations

from collections.abc import Sequence
import json
from pathlib import Path
import signal
import subprocess
import sys
from typing import Any

import pytest

from asynet_ros import bundled_checkpoint
from asynet_ros.bag import EventBag
from asynet_ros.dds import write_loopback_config
from asynet_ros.interfaces import typestore
from asynet_tools.events import write_synthetic_bag
from checkout import ROOT
from dds_helpers import finish, loopback_env, spawn
from ros_helpers import random_domain_id, ros_env

pytestmark = pytest.mark.usefixtures('ros2')  # real rclpy peers

PEER = ROOT / 'test' / 'helpers' / 'rclpy_peer.py'
KILTED_PYTHON = ROOT / '.venv' / 'kilted' / 'bin' / 'python'
EVENTS = '/event_camera/events'
PACKET = 'event_camera_msgs/msg/EventPacket'
DETECTIONS = '/asynet_detector/detections'
LABELS = '/asynet_detector/label_info'
# Variables that would point a Kilted child at the Jazzy venv's ROS libraries. The wheels'
# ros_wheels_bootstrapper (.pth) re-executes Python with LD_LIBRARY_PATH set to its venv's
# libraries unless _ROS_WHEELS_BOOTSTRAP_COMPLETE is set, which this (Jazzy) process already is.
_JAZZY_PATHS = ('PYTHONPATH', 'AMENT_PREFIX_PATH', 'CMAKE_PREFIX_PATH', 'LD_LIBRARY_PATH',
                '_ROS_WHEELS_BOOTSTRAP_COMPLETE')  # fmt: skip


@pytest.fixture(scope='module')
def bag(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Write a 0.4 s synthetic evt3 recording of 40 packets; return its path and CDR messages."""
    path = tmp_path_factory.mktemp('interop') / 'bag'
    write_synthetic_bag(path, seconds=0.4, packet_us=10_000, seed=3)
    with EventBag(path) as opened:
        raws = [bytes(raw) for _, _, _, raw in opened.raw_messages([EVENTS])]
    return {'path': path, 'raws': raws}


@pytest.fixture(scope='module')
def kilted_python() -> str:
    """The Python of the ROS 2 Kilted venv; skips where ``make kilted`` has not installed it."""
    if not KILTED_PYTHON.exists():
        pytest.skip(f'no Kilted venv at {KILTED_PYTHON} (`make kilted` installs it)')
    return str(KILTED_PYTHON)


@pytest.fixture(params=['jazzy', 'kilted'])
def distro(request: pytest.FixtureRequest) -> str:
    """The Python of the ROS 2 distro the rclpy peer runs under."""
    if request.param == 'jazzy':
        return sys.executable
    return str(request.getfixturevalue('kilted_python'))


def _env(tmp_path: Path, domain_id: int, ignore_type_information: str | None = None) -> dict:
    """Loopback Cyclone + Fast DDS environment; the Cyclone config optionally without the fix."""
    env = ros_env(tmp_path, domain_id, loopback_env(tmp_path, domain_id))
    if ignore_type_information is not None:
        config = tmp_path / 'cyclonedds_no_fix.xml'
        write_loopback_config(config, ignore_type_information=ignore_type_information)
        env['CYCLONEDDS_URI'] = config.resolve().as_uri()
    return env


def _peer(python: str, args: Sequence[str], env: dict[str, str]) -> subprocess.Popen[str]:
    child_env = dict(env)
    if python != sys.executable:
        for key in _JAZZY_PATHS:
            child_env.pop(key, None)
    return subprocess.Popen(
        [python, str(PEER), *args],
        cwd=ROOT,
        env=child_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _records(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{')]


def _received(records: list[dict[str, Any]], topic: str) -> list[bytes]:
    return [bytes.fromhex(r['cdr']) for r in records if r.get('topic') == topic]


def _one(records: list[dict[str, Any]], key: str, err: str) -> Any:
    found = [r[key] for r in records if key in r]
    assert found, f'the rclpy peer printed no {key!r}; stderr:\n{err[-3000:]}'
    return found[-1]


def _fields(msg: Any) -> tuple[Any, ...]:
    stamp = msg.header.stamp
    return (stamp.sec, stamp.nanosec, msg.header.frame_id, msg.height, msg.width, msg.seq,
            msg.time_base, msg.encoding, msg.is_bigendian, msg.events.tobytes())  # fmt: skip


def _play(
    bag: Path, domain_id: int, env: dict[str, str], rate: float, wait_s: float = 30.0
) -> subprocess.Popen[str]:
    return spawn(
        ['-m', 'asynet_ros.dds.play', str(bag), '--domain-id', str(domain_id),
         '--wait-subscribers', str(wait_s), '--start-delay', '1.0', '--rate', str(rate)],
        env,
    )  # fmt: skip


def test_cyclone_to_rclpy(distro: str, bag: dict[str, Any], tmp_path: Path) -> None:
    """``asynet-play`` -> rclpy: every packet arrives byte-equal; the node has its name."""
    domain_id = random_domain_id()
    env = _env(tmp_path, domain_id)
    count = len(bag['raws'])
    peer = _peer(
        distro,
        ['--sub', EVENTS, PACKET, 'sensor', '--expect', f'{EVENTS}={count}',
         '--graph', 'asynet_play', '--timeout', '60'],
        env,
    )  # fmt: skip
    player = _play(bag['path'], domain_id, env, rate=0.25)  # ~1.6 s: time to query the graph
    played = finish(player, timeout_s=90)
    rc, out, err = finish(peer, timeout_s=90)
    assert played[0] == 0, played[2]
    assert rc == 0, err[-3000:]
    records = _records(out)
    done = _one(records, 'done', err)
    got = _received(records, EVENTS)
    assert len(got) == count, f'{done}; stderr:\n{err[-2000:]}'
    ts = typestore()
    sent = [ts.deserialize_cdr(raw, PACKET) for raw in bag['raws']]
    received = [ts.deserialize_cdr(raw, PACKET) for raw in got]
    assert [m.seq for m in received] == [m.seq for m in sent]
    assert {m.encoding for m in received} == {'evt3'}
    assert [m.events.tobytes() for m in received] == [m.events.tobytes() for m in sent]
    # every other field too (Fast CDR leaves alignment padding unset: compare fields, not CDR)
    assert [_fields(m) for m in received] == [_fields(m) for m in sent]
    graph = _one(records, 'graph', err)
    assert graph['found'], graph
    assert [EVENTS, [PACKET]] in graph['publishers'], graph


def test_rclpy_to_cyclone(distro: str, bag: dict[str, Any], tmp_path: Path) -> None:
    """Real rclpy -> ``asynet-detect`` -> rclpy: detections, and the latched LabelInfo."""
    domain_id = random_domain_id()
    env = _env(tmp_path, domain_id)
    packets = tmp_path / 'packets.hex'
    packets.write_text('\n'.join(raw.hex() for raw in bag['raws']), encoding='utf-8')
    detector = spawn(
        ['-m', 'asynet_ros.cli.detect', '--transport', 'dds', '--domain-id', str(domain_id),
         '--checkpoint', str(bundled_checkpoint('synthetic_det')), '--duration', '120'],
        env,
    )  # fmt: skip
    try:
        peer = _peer(
            distro,
            ['--pub', EVENTS, PACKET, str(packets),
             '--sub', DETECTIONS, 'vision_msgs/msg/Detection2DArray', 'reliable',
             '--sub-late', LABELS, 'vision_msgs/msg/LabelInfo', 'latched',
             '--expect', f'{DETECTIONS}=3', '--expect', f'{LABELS}=1',
             '--graph', 'asynet_detector', '--timeout', '90'],
            env,
        )  # fmt: skip
        rc, out, err = finish(peer, timeout_s=120)
        assert rc == 0, err[-3000:]
    finally:
        detector.send_signal(signal.SIGINT)
        detected = finish(detector, timeout_s=30)
    records = _records(out)
    done = _one(records, 'done', err)
    assert done['ok'], f'{done}; detector: {detected[1][-500:]}{detected[2][-1500:]}'
    ts = typestore()
    sent = [ts.deserialize_cdr(raw, PACKET) for raw in bag['raws']]
    first_ns = sent[0].header.stamp.sec * 10**9 + sent[0].header.stamp.nanosec
    last_ns = sent[-1].header.stamp.sec * 10**9 + sent[-1].header.stamp.nanosec
    msgs = [
        ts.deserialize_cdr(raw, 'vision_msgs/msg/Detection2DArray')
        for raw in _received(records, DETECTIONS)
    ]
    assert {m.header.frame_id for m in msgs} == {sent[0].header.frame_id}
    stamps = [m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for m in msgs]
    assert stamps == sorted(stamps)
    assert first_ns <= stamps[0]
    assert stamps[-1] <= last_ns + 10**9
    labels = ts.deserialize_cdr(_received(records, LABELS)[0], 'vision_msgs/msg/LabelInfo')
    assert [c.class_name for c in labels.class_map] == ['circle', 'square']
    graph = _one(records, 'graph', err)
    assert [DETECTIONS, ['vision_msgs/msg/Detection2DArray']] in graph['publishers'], graph
    assert [EVENTS, [PACKET]] in graph['subscribers'], graph


@pytest.mark.parametrize('fixed', [True, False], ids=['ignore_type_info', 'without_it'])
def test_kilted_needs_ignore_type_information(
    fixed: bool, bag: dict[str, Any], tmp_path: Path, kilted_python: str
) -> None:
    """Fast DDS 3 gets data from Cyclone only with ``IgnoreTypeInformation`` 1.15 set.

    Without it Fast DDS still matches Cyclone's writer (the peer counts the publisher), but
    Cyclone refuses the reader (its type check fails: ``asynet-play`` finds no subscriber) and
    no sample arrives.
    """
    domain_id = random_domain_id()
    env = _env(tmp_path, domain_id, None if fixed else '1.1')  # 1.1: RTI, i.e. not eProsima
    count = len(bag['raws'])
    peer = _peer(
        kilted_python,
        ['--sub', EVENTS, PACKET, 'sensor', '--expect', f'{EVENTS}={count}', '--timeout',
         '60' if fixed else '12'],
        env,
    )  # fmt: skip
    played = finish(_play(bag['path'], domain_id, env, 1.0, 30 if fixed else 6), timeout_s=90)
    rc, out, err = finish(peer, timeout_s=90)
    assert played[0] == 0, played[2]
    assert rc == 0, err[-3000:]
    done = _one(_records(out), 'done', err)
    assert done['matched'][EVENTS] >= 1, done  # discovery matched either way
    assert done['received'][EVENTS] == (count if fixed else 0), done
    assert ('no subscriber on' in played[2]) != fixed, played[2]
