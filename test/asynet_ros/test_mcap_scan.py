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


"""MCAP files from a third-party writer (the ``mcap`` package), and the linear scan.

lz4/zstd chunks, ros2msg and ros2idl schemas; every truncation; reindex and write_metadata.
"""

from __future__ import annotations

from pathlib import Path
import random

import pytest

from asynet_ros.bag import EventBag
from asynet_ros.bag_index import reindex, write_metadata
from asynet_ros.mcap_scan import McapMessage, McapScan
from asynet_tools.events import event_stats, write_synthetic_bag

mcap_writer = pytest.importorskip('mcap.writer', reason='the mcap package (test extra) is absent')

IDL = (
    '================================================================================\n'
    'IDL: event_camera_msgs/msg/EventPacket\n'
    '#include "std_msgs/msg/Header.idl"\n'
    'module event_camera_msgs { module msg { struct EventPacket {\n'
    '  std_msgs::msg::Header header; }; }; };\n'
)


@pytest.fixture(scope='module')
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, bytes]]]:
    bag = tmp_path_factory.mktemp('src') / 'bag'
    write_synthetic_bag(bag, seconds=0.1, seed=1)
    with EventBag(bag) as opened:
        topic = opened.pick_topic()
        msgs = [(t, bytes(raw)) for _, _, t, raw in opened.raw_messages([topic.name])]
    return bag, msgs


def write_mcap(
    path: Path,
    msgs: list[tuple[int, bytes]],
    compression: str,
    encoding: str,
    chunk_size: int = 4096,
) -> None:
    with path.open('wb') as f:
        writer = mcap_writer.Writer(
            f, chunk_size=chunk_size, compression=mcap_writer.CompressionType[compression]
        )
        writer.start(profile='ros2', library='third-party')
        text = IDL if encoding == 'ros2idl' else 'std_msgs/Header header\n'
        schema = writer.register_schema(
            'event_camera_msgs/msg/EventPacket', encoding, text.encode()
        )
        channel = writer.register_channel('/events', 'cdr', schema)
        for t, raw in msgs:
            writer.add_message(channel, log_time=t, data=raw, publish_time=t)
        writer.finish()


@pytest.mark.parametrize('compression', ['NONE', 'LZ4', 'ZSTD'])
@pytest.mark.parametrize('encoding', ['ros2msg', 'ros2idl'])
def test_third_party_mcap(
    source: tuple[Path, list[tuple[int, bytes]]], tmp_path: Path, compression: str, encoding: str
) -> None:
    bag, msgs = source
    path = tmp_path / 'rec.mcap'
    write_mcap(path, msgs, compression, encoding)
    expected = event_stats(bag)
    assert event_stats(path) == expected  # lone file, reindexed
    write_metadata(path)
    assert event_stats(tmp_path) == expected  # rosbags with the written metadata
    scan = McapScan(path)
    got = [(r.log_time_ns, r.data) for r in scan.records() if isinstance(r, McapMessage)]
    assert got == msgs
    assert scan.complete
    assert scan.bytes_unread == 0


@pytest.mark.parametrize('compression', ['NONE', 'LZ4', 'ZSTD'])
def test_scan_of_every_truncation(
    source: tuple[Path, list[tuple[int, bytes]]], tmp_path: Path, compression: str
) -> None:
    _, msgs = source
    path = tmp_path / 'rec.mcap'
    write_mcap(path, msgs, compression, 'ros2msg')
    data = path.read_bytes()
    cut = tmp_path / 'cut.mcap'
    seen = []
    for size in range(8, len(data), max(len(data) // 97, 1)):
        cut.write_bytes(data[:size])
        scan = McapScan(cut)
        got = [(r.log_time_ns, r.data) for r in scan.records() if isinstance(r, McapMessage)]
        assert got == msgs[: len(got)]  # a prefix, every message intact
        if scan.complete:  # cut in the summary, after the DataEnd record: no message lost
            assert got == msgs
        else:
            assert scan.reason
        assert 0 <= scan.bytes_unread <= size
        seen.append(len(got))
    assert seen == sorted(seen)
    assert seen[-1] > 0


@pytest.mark.parametrize('compression', ['NONE', 'LZ4', 'ZSTD'])
def test_cut_chunk_counts_only_the_unread_bytes(tmp_path: Path, compression: str) -> None:
    rng = random.Random(0)  # incompressible: several zstd / lz4 blocks, only whole ones decode
    msgs = [(1000 * k, rng.randbytes(2000)) for k in range(400)]
    path = tmp_path / 'one_chunk.mcap'
    write_mcap(path, msgs, compression, 'ros2msg', chunk_size=1 << 30)
    data = path.read_bytes()
    cut = tmp_path / 'cut.mcap'
    largest = max(len(raw) for _, raw in msgs)
    for size in (len(data) // 2, len(data) * 3 // 4):
        cut.write_bytes(data[:size])
        scan = McapScan(cut)
        got = sum(isinstance(r, McapMessage) for r in scan.records())
        assert 0 < got < len(msgs)
        assert not scan.complete
        # the bytes after the last message read (to a 4 KiB piece, or a compression block of at
        # most 128 KiB), not the whole chunk
        block = 4096 if compression == 'NONE' else 1 << 17
        assert 0 < scan.bytes_unread <= block + largest + 64 < size // 2


def test_write_metadata_refuses_to_overwrite(source: tuple[Path, list[tuple[int, bytes]]]) -> None:
    from asynet_core.cli import OutputError

    bag, msgs = source
    info = reindex(bag)['rosbag2_bagfile_information']
    assert info['message_count'] == len(msgs)
    assert info['storage_identifier'] == 'sqlite3'
    assert info['starting_time']['nanoseconds_since_epoch'] == msgs[0][0]
    assert info['duration']['nanoseconds'] == msgs[-1][0] - msgs[0][0]
    before = (bag / 'metadata.yaml').read_bytes()
    with pytest.raises(OutputError, match='exists'):
        write_metadata(bag)
    assert (bag / 'metadata.yaml').read_bytes() == before
