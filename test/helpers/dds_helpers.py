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

r"""Helpers of the DDS transport tests: loopback environment, child processes, sample collection.

Run as a script it is the publishing peer of a test, in its own process::

    python test/helpers/dds_helpers.py --domain-id 150 --topic /labels \
        --type vision_msgs/msg/LabelInfo --qos LATCHED --hex 000100... [--wait-subscribers 10]

It publishes each ``--hex`` CDR payload, prints ``published`` and keeps its writer alive until its
stdin closes (or 30 s pass), so a test can join late and read the latched sample.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
import contextlib
import os
from pathlib import Path
import random
import select
import subprocess
import sys
import time

from asynet_benchmarks.ros_env import environ_scope
from asynet_ros.dds import DdsGraph, qos, RawSubscription, use_loopback
from checkout import ROOT

HELPER = Path(__file__).resolve()
LINGER_S = 30.0


def random_domain_id() -> int:
    """A domain id in [100, 229], different per test run, so parallel runs rarely meet."""
    return random.SystemRandom().randrange(100, 230)


def loopback_env(tmp_dir: Path, domain_id: int) -> dict[str, str]:
    """A copy of the environment with the loopback Cyclone config and ``ROS_DOMAIN_ID``."""
    env = dict(os.environ)
    use_loopback(tmp_dir / 'cyclonedds_loopback.xml', env)
    env['ROS_DOMAIN_ID'] = str(domain_id)
    return env


@contextlib.contextmanager
def loopback_session(tmp_dir: Path, domain_id: int) -> Iterator[dict[str, str]]:
    """This process and its children on the loopback config and ``domain_id``.

    Enter before the first participant of the process; yields the children's environment.
    """
    child_env = loopback_env(tmp_dir, domain_id)
    with environ_scope({key: child_env[key] for key in ('CYCLONEDDS_URI', 'ROS_DOMAIN_ID')}):
        yield child_env


def spawn(args: Sequence[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """``python ARGS`` in the repository root, with pipes for stdin, stdout and stderr."""
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_line(proc: subprocess.Popen[str], timeout_s: float) -> str:
    """The next stdout line of ``proc`` ('' on timeout or exit)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
    return proc.stdout.readline().strip() if ready else ''


def collect(
    sub: RawSubscription,
    expected: int,
    proc: subprocess.Popen[str] | None = None,
    timeout_s: float = 10.0,
    idle_s: float = 0.5,
) -> list[bytes]:
    """Take samples until ``expected`` arrived or ``timeout_s`` passed.

    Stops early once ``proc`` has ended and nothing more came for ``idle_s``.
    """
    got: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    last = time.monotonic()
    while len(got) < expected and time.monotonic() < deadline:
        if sub.wait(0.05):
            batch = sub.take(1024)
            got += batch
            last = time.monotonic() if batch else last
        elif proc is not None and proc.poll() is not None and time.monotonic() - last > idle_s:
            break
    return got


def finish(proc: subprocess.Popen[str], timeout_s: float = 15.0) -> tuple[int, str, str]:
    """Close stdin, wait for the exit; (return code, stdout, stderr)."""
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out, err


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description='publish CDR payloads, then linger')
    parser.add_argument('--domain-id', type=int, required=True)
    parser.add_argument('--topic', required=True)
    parser.add_argument('--type', required=True)
    parser.add_argument('--qos', default='DEFAULT', choices=['DEFAULT', 'LATCHED', 'SENSOR_DATA'])
    parser.add_argument('--hex', action='append', default=[])
    parser.add_argument('--wait-subscribers', type=float, default=0.0)
    args = parser.parse_args(argv)
    with DdsGraph(args.domain_id) as graph:
        pub = graph.publisher(args.topic, args.type, getattr(qos, args.qos))
        if args.wait_subscribers:
            pub.wait_for_matched(1, args.wait_subscribers)
        for payload in args.hex:
            pub.publish(bytes.fromhex(payload))
        print('published', flush=True)
        select.select([sys.stdin], [], [], LINGER_S)  # until the test closes our stdin
    return 0


if __name__ == '__main__':
    sys.exit(main())
