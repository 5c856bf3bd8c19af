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

"""``asynet-play``: publish a rosbag2 onto DDS at its recorded timing, without ROS 2.

Each message's CDR bytes go out unchanged (no deserialisation) on the bag's topic, under the
ROS 2 names rmw_cyclonedds uses, so ``ros2 topic echo`` or an asynet node on the same
``ROS_DOMAIN_ID`` receives them like from ``ros2 bag play``. Event topics use the QoS the event
camera drivers offer (BEST_EFFORT, KEEP_LAST 1000); ``LabelInfo`` is latched; the rest use the ROS
default (RELIABLE, KEEP_LAST 10). Legacy ``event_array_msgs/msg/EventArray`` is published as
``event_camera_msgs/msg/EventPacket`` (same fields). Prints a one-line JSON summary at the end.

Usage::

    asynet-play ../shared/data/bags/metavision_evt3                 # recorded rate
    asynet-play BAG --topic /event_camera/events --rate 0 --loop   # as fast as possible, forever
    asynet-play BAG --wait-subscribers 10 --start-delay 0.5 --domain-id 7 --loopback
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass, field
import json
from pathlib import Path
import sys
import time
from typing import Any, TYPE_CHECKING

from asynet_core.cli import add_debug_option, run_command
from asynet_core.errors import ConfigError
from asynet_ros.bag_errors import BagError  # asynet_ros.dds.errors.BagError, without rosbags
from asynet_ros.dds.config import use_loopback

if TYPE_CHECKING:
    from asynet_ros.bag import EventBag
    from asynet_ros.dds.qos import QosProfile
    from asynet_ros.dds.transport import RawPublisher

# rosbags, cyclonedds and numpy (asynet_ros.bag, .interfaces, .event_message, .dds.qos,
# .dds.transport) are imported where used, after the arguments are parsed: `asynet-play --help`
# answers at once.

__all__ = ['PlayStats', 'main', 'play', 'qos_for']

_LATCHED_TYPES = frozenset({'vision_msgs/msg/LabelInfo'})
_ACK_TIMEOUT_S = 2.0


@dataclass
class PlayStats:
    """What a playback published.

    Attributes:
        messages: messages published, all topics and loops.
        bytes: CDR bytes published (before padding).
        topics: messages per topic.
        seconds: wall time from the first to the last publish.
        loops: complete passes over the bag.
        domain_id: the DDS domain published on.
        subscribers: readers matched per topic (the most seen, before and after playing); a
            topic with 0 was published to nobody, which is also said on stderr.
    """

    messages: int = 0
    bytes: int = 0  # noqa: A003 (a JSON summary key)
    topics: dict[str, int] = field(default_factory=dict)
    subscribers: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    loops: int = 0
    domain_id: int = 0


def qos_for(msgtype: str) -> QosProfile:
    """The QoS a ROS 2 publisher of ``msgtype`` offers (events: the drivers' BEST_EFFORT QoS)."""
    from asynet_ros.dds.qos import DEFAULT, EVENTS_DRIVER, LATCHED
    from asynet_ros.event_message import EVENT_TYPES

    if msgtype in EVENT_TYPES:
        return EVENTS_DRIVER
    return LATCHED if msgtype in _LATCHED_TYPES else DEFAULT


def play(
    bag: str | Path,
    *,
    topics: Sequence[str] | None = None,
    rate: float = 1.0,
    loop: bool = False,
    domain_id: int | None = None,
    wait_subscribers_s: float = 0.0,
    start_delay_s: float = 0.0,
) -> PlayStats:
    """Publish ``bag`` (sqlite3 or mcap rosbag2) on DDS; see the module docstring.

    Args:
        bag: the rosbag2 folder (with ``metadata.yaml``).
        topics: topics to play (default: every topic whose type the typestore knows).
        rate: playback speed; 1.0 = recorded timing, 0 = as fast as possible.
        loop: start over at the end, until interrupted (Ctrl-C ends playback cleanly).
        domain_id: DDS domain (default ``$ROS_DOMAIN_ID``, else 0).
        wait_subscribers_s: wait up to this long for every topic to have a subscriber.
        start_delay_s: pause after that wait, so readers finish matching the new writers.

    Raises:
        ConfigError: a negative ``rate``.
        BagError: the bag is missing or unreadable, or a requested topic is absent or of an
            unknown type.
        TransportError: DDS endpoints could not be created or a write failed.
    """
    from asynet_ros.bag import EventBag
    from asynet_ros.dds.transport import DdsGraph

    if rate < 0:
        raise ConfigError(f'rate must be >= 0 (0 = as fast as possible), got {rate}')
    if not Path(bag).exists():
        raise BagError(f'no bag at {bag}')
    with EventBag(bag) as opened:
        ts = opened.typestore
        selected = _select(opened, ts, topics)
        with DdsGraph(domain_id, ts, node_name='asynet_play') as graph:
            publishers = {
                topic: graph.publisher(topic, msgtype, qos_for(msgtype))
                for topic, msgtype in selected.items()
            }
            _wait_for_subscribers(publishers, wait_subscribers_s)
            time.sleep(start_delay_s)
            stats = PlayStats(topics=dict.fromkeys(selected, 0), domain_id=graph.domain_id)
            stats.subscribers = {t: p.matched_count() for t, p in publishers.items()}
            with suppress(KeyboardInterrupt):  # Ctrl-C ends a (looped) playback cleanly
                _play(opened, publishers, rate, loop, stats)
                for publisher in publishers.values():  # let RELIABLE readers get the tail
                    publisher.wait_for_acks(_ACK_TIMEOUT_S)
            _say_unread(stats, publishers)
            return stats


def _say_unread(stats: PlayStats, publishers: dict[str, RawPublisher]) -> None:
    """Name the topics no reader matched: DDS drops such samples without a word."""
    for topic, publisher in publishers.items():
        stats.subscribers[topic] = max(stats.subscribers[topic], publisher.matched_count())
        if not stats.subscribers[topic]:
            print(
                f'asynet-play: published {stats.topics[topic]} messages on {topic} but no '
                'subscriber matched (none running, or one with another type or QoS)',
                file=sys.stderr,
            )


def _select(bag: EventBag, ts: Any, topics: Sequence[str] | None) -> dict[str, str]:
    """Topic -> type published (legacy names mapped), for the requested or all known topics."""
    from asynet_ros.interfaces import LEGACY_ALIASES

    available = {topic.name: topic.msgtype for topic in bag.topics}
    listing = ', '.join(f'{t} [{m}]' for t, m in sorted(available.items())) or 'none'
    wanted = list(dict.fromkeys(topics)) if topics else sorted(available)
    missing = [t for t in wanted if t not in available]
    if missing:
        raise BagError(f'topic(s) {", ".join(missing)} not in the bag; available: {listing}')
    selected = {t: LEGACY_ALIASES.get(available[t], available[t]) for t in wanted}
    unknown = {t: m for t, m in selected.items() if m not in ts.fielddefs}
    if topics and unknown:
        raise BagError(f'unknown message type for {unknown}; the typestore lacks them')
    for topic, msgtype in unknown.items():
        print(f'asynet-play: skipping {topic} [{msgtype}]: unknown type', file=sys.stderr)
    if len(unknown) == len(selected):
        raise BagError(f'no topic of a known type in the bag; available: {listing}')
    return {t: m for t, m in selected.items() if t not in unknown}


def _wait_for_subscribers(publishers: dict[str, RawPublisher], timeout_s: float) -> None:
    if timeout_s <= 0:
        return
    deadline = time.monotonic() + timeout_s
    for topic, publisher in publishers.items():
        if not publisher.wait_for_matched(1, max(0.0, deadline - time.monotonic())):
            print(f'asynet-play: no subscriber on {topic} after {timeout_s} s', file=sys.stderr)


def _play(
    bag: EventBag,
    publishers: dict[str, RawPublisher],
    rate: float,
    loop: bool,
    stats: PlayStats,
) -> None:
    started = time.monotonic()
    while True:
        first_ns: int | None = None
        pass_start = time.monotonic()
        for topic, _, stamp_ns, raw in _records(bag, list(publishers), stats):
            first_ns = stamp_ns if first_ns is None else first_ns
            if rate > 0:
                _sleep_until(pass_start + (stamp_ns - first_ns) * 1e-9 / rate)
            publishers[topic].publish(raw)
            stats.messages += 1
            stats.bytes += len(raw)
            stats.topics[topic] += 1
            stats.seconds = time.monotonic() - started
        stats.loops += 1
        if not loop or first_ns is None:
            return


def _records(
    bag: EventBag, topics: list[str], stats: PlayStats
) -> Iterator[tuple[str, str, int, bytes]]:
    """The bag's records; a damaged one ends playback with an error saying how far it got."""
    last_ns = None
    try:
        for record in bag.raw_messages(topics):
            last_ns = record[2]
            yield record
    except BagError as err:
        raise BagError(
            f'{err} (after {stats.messages} messages published; the last good record at bag '
            f'time {last_ns} ns)'
        ) from err


def _sleep_until(deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='asynet-play',
        description='Publish a rosbag2 (sqlite3 or mcap) on ROS 2 topics over Cyclone DDS, '
        'without ROS 2. Prints a JSON summary.',
    )
    parser.add_argument('bag', type=Path, help='rosbag2 folder (holding metadata.yaml)')
    parser.add_argument(
        '--topic',
        action='append',
        metavar='T',
        help='topic to play (repeatable; default: all topics of known types)',
    )
    parser.add_argument(
        '--rate',
        type=float,
        default=1.0,
        help='playback speed: 1.0 = recorded timing (default), 0 = as fast as possible',
    )
    parser.add_argument('--loop', action='store_true', help='play again at the end, until Ctrl-C')
    parser.add_argument(
        '--domain-id', type=int, default=None, help='DDS domain (default: $ROS_DOMAIN_ID, else 0)'
    )
    parser.add_argument(
        '--wait-subscribers',
        type=float,
        default=0.0,
        metavar='S',
        help='wait up to S seconds for a subscriber on every topic before playing',
    )
    parser.add_argument(
        '--start-delay',
        type=float,
        default=0.0,
        metavar='S',
        help='pause S seconds before the first message (lets readers match the writers)',
    )
    parser.add_argument(
        '--loopback',
        action='store_true',
        help='use a loopback-only Cyclone configuration (sets CYCLONEDDS_URI for this run)',
    )
    add_debug_option(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``asynet-play``; exit status 0 ok, 2 bad input or usage, 130 stopped."""
    parser = _parser()
    args = parser.parse_args(argv)
    for name in ('rate', 'wait_subscribers', 'start_delay'):
        if getattr(args, name) < 0:
            parser.error(f'--{name.replace("_", "-")} must be >= 0')
    if args.loopback:
        use_loopback()
    return run_command('asynet-play', lambda: _main(args), debug=args.debug)


def _main(args: argparse.Namespace) -> int:
    stats = play(
        args.bag,
        topics=args.topic,
        rate=args.rate,
        loop=args.loop,
        domain_id=args.domain_id,
        wait_subscribers_s=args.wait_subscribers,
        start_delay_s=args.start_delay,
    )
    print(json.dumps(asdict(stats), sort_keys=True), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
