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

"""EventBag on broken files: only a BagError, which names the problem.

Truncated files, garbage or null metadata, a topic of the wrong type, and fuzzed damage
(``test/helpers/fuzzing.py``).
"""

from __future__ import annotations

from pathlib import Path
import re
import shutil
import tempfile
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
import pytest

from asynet_ros.bag import BagError, EventBag
from asynet_tools.events import event_stats, write_synthetic_bag
from fuzzing import FILE_FUZZ, OFFSETS, PACKET, packet_cdrs, shared_typestore, watchdog


@pytest.fixture(scope='module')
def bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp('bad') / 'bag'
    write_synthetic_bag(path, seconds=0.2, seed=0)
    return path


def test_truncated_bag(bag: Path, tmp_path: Path) -> None:
    broken = tmp_path / 'bag'
    broken.mkdir()
    (broken / 'metadata.yaml').write_bytes((bag / 'metadata.yaml').read_bytes())
    db = next(bag.glob('*.db3'))
    (broken / db.name).write_bytes(db.read_bytes()[: db.stat().st_size // 3])
    stats = event_stats(broken)  # read up to the cut, the loss reported
    assert 0 < stats['messages'] < event_stats(bag)['messages']
    (broken / db.name).write_bytes(db.read_bytes()[:4096])  # nothing readable: an error
    with pytest.raises(BagError, match='bag'):
        event_stats(broken)


def test_bag_with_garbage_metadata(tmp_path: Path) -> None:
    (tmp_path / 'metadata.yaml').write_text('rosbag2_bagfile_information: [1, 2\n')
    with pytest.raises(BagError, match=f'cannot open bag {tmp_path}'):
        EventBag(tmp_path)


def test_bag_topic_of_the_wrong_type(bag: Path, tmp_path: Path) -> None:
    with EventBag(bag) as opened:
        assert opened.pick_topic().name == '/event_camera/events'
    from rosbags.rosbag2 import Writer

    from asynet_ros.interfaces import typestore

    other = tmp_path / 'other'
    with Writer(other, version=8) as writer:
        writer.add_connection('/imu', 'std_msgs/msg/String', typestore=typestore())
    with EventBag(other) as opened, pytest.raises(BagError, match='has type std_msgs/msg/String'):
        opened.pick_topic('/imu')
    with EventBag(other) as opened, pytest.raises(BagError, match='has 0 event topics'):
        opened.pick_topic()


def test_bag_with_a_null_message_count(bag: Path, tmp_path: Path) -> None:
    broken = tmp_path / 'bag'
    broken.mkdir()
    for f in bag.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    meta = broken / 'metadata.yaml'
    pattern = r'- message_count: \d+\n(\s+)topic_metadata'
    text = re.sub(pattern, r'- message_count: null\n\1topic_metadata', meta.read_text())
    meta.write_text(text)
    with pytest.raises(BagError, match=r'corrupt metadata\.yaml'):
        EventBag(broken)


# -- fuzzed damage (test/helpers/fuzzing.py) ------------------------------------------------------


@pytest.fixture(scope='module')
def small_bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sqlite3 bag (rosbag2 version 8): four EventPacket messages on /events."""
    from rosbags.rosbag2 import Writer

    path = tmp_path_factory.mktemp('fuzz_bag') / 'bag'
    ts = shared_typestore()
    with Writer(path, version=8) as writer:
        conn = writer.add_connection('/events', PACKET, typestore=ts)
        for k, raw in enumerate(packet_cdrs()[:4]):
            writer.write(conn, 10**9 + k, raw)
    return path


def read_bag(path: Path) -> int:
    """Open and iterate the bag: the number of event messages, -1 after a BagError."""
    with watchdog():
        try:
            with EventBag(path) as bag:
                names = [t.name for t in bag.topics]
                assert len(names) == len(set(names))
                bag.event_topics  # noqa: B018 (a property that reads every connection)
                return sum(1 for _ in bag.event_messages())
        except BagError:
            return -1


BAG_DAMAGE = st.one_of(
    st.tuples(st.just('truncate'), OFFSETS),
    st.tuples(st.just('flip'), st.lists(st.tuples(OFFSETS, st.integers(0, 7)), max_size=8)),
    st.tuples(st.just('zero_page'), st.integers(0, 64)),
    st.tuples(st.just('garbage_page'), st.integers(0, 64), st.binary(min_size=1, max_size=64)),
)


def damage(path: Path, how: tuple[Any, ...]) -> None:
    """Corrupt one file in place (pages are 4096 bytes, as sqlite's default)."""
    data = bytearray(path.read_bytes())
    kind, arg, *rest = how
    n = len(data)
    if not n:
        return
    if kind == 'truncate':
        del data[arg % (n + 1) :]
    elif kind == 'flip':
        for offset, bit in arg:
            data[offset % n] ^= 1 << bit
    else:
        start = (arg * 4096) % max(n, 1)
        fill = b'\0' * 4096 if kind == 'zero_page' else (rest[0] * 4096)[:4096]
        data[start : start + 4096] = fill[: len(data[start : start + 4096])]
    path.write_bytes(bytes(data))


def test_intact_bag_reads_whole(small_bag: Path) -> None:
    assert read_bag(small_bag) == 4


@FILE_FUZZ
@given(hows=st.lists(BAG_DAMAGE, min_size=1, max_size=3))
def test_damaged_db3_raises_only_bag_error(small_bag: Path, hows: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(shutil.copytree(small_bag, Path(tmp) / 'bag'))
        (db,) = path.glob('*.db3')
        for how in hows:
            damage(db, how)
        assert read_bag(path) in (-1, 0, 1, 2, 3, 4)


YAML_VALUES = ['-1', 'null', '[]', '{}', '"x"', '1e400', '99999999999999999999999', '', ':', '&a']


@FILE_FUZZ
@given(
    hows=st.lists(st.tuples(st.just('flip'), st.lists(st.tuples(OFFSETS, st.integers(0, 7)))))
    | st.lists(st.tuples(st.just('truncate'), OFFSETS), min_size=1, max_size=1)
    | st.lists(st.tuples(st.just('value'), OFFSETS, st.sampled_from(YAML_VALUES)), min_size=1),
)
def test_damaged_metadata_raises_only_bag_error(small_bag: Path, hows: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(shutil.copytree(small_bag, Path(tmp) / 'bag'))
        meta = path / 'metadata.yaml'
        for how in hows:
            if how[0] == 'value':
                replace_yaml_value(meta, how[1], how[2])
            else:
                damage(meta, how)
        assert read_bag(path) in (-1, 0, 1, 2, 3, 4)


def replace_yaml_value(meta: Path, which: int, value: str) -> None:
    """Replace the value of one ``key: value`` line of the YAML file."""
    lines = meta.read_text(encoding='utf-8').splitlines()
    keyed = [i for i, line in enumerate(lines) if ': ' in line]
    i = keyed[which % len(keyed)]
    lines[i] = lines[i].split(': ', 1)[0] + ': ' + value
    meta.write_text('\n'.join(lines) + '\n', encoding='utf-8')
