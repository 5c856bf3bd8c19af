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

"""Regressions of the red team's bag defects.

Metadata that lies, is empty or lists missing files; a damaged sqlite page; an MCAP cut before
its channels or inside a chunk; reindex of a damaged bag, of a lone file among others, of an
event file; private paths in messages.
"""

from __future__ import annotations

import logging
from pathlib import Path
import shutil

import pytest

from asynet_ros.bag import BagError, EventBag
from asynet_ros.bag_index import write_metadata
from asynet_ros.mcap_scan import McapScan, summary_topics
from asynet_tools.events import event_stats

TOPIC = '/event_camera/events'
PAGE = 4096


def copy(bag: Path, dest: Path) -> Path:
    return Path(shutil.copytree(bag, dest))


def bag_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == 'asynet_ros.bag']


@pytest.mark.parametrize('storage', ['sqlite3', 'mcap'])
def test_metadata_naming_the_wrong_topic_is_set_aside(
    synthetic: dict[str, Path], storage: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bag = copy(synthetic[storage], tmp_path / 'lie')
    meta = bag / 'metadata.yaml'
    meta.write_text(meta.read_text().replace(TOPIC, '/nope'))
    with caplog.at_level(logging.WARNING, logger='asynet_ros.bag'):
        stats = event_stats(bag)
        assert event_stats(bag, topic=TOPIC)['messages'] == 200
    assert stats['messages'] == 200
    line = bag_lines(caplog)[0]
    assert 'disagrees with the storage files' in line
    assert "topics only in metadata.yaml: ['/nope" in line


def test_metadata_with_a_wrong_count_is_set_aside(
    synthetic: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bag = copy(synthetic['sqlite3'], tmp_path / 'count')
    meta = bag / 'metadata.yaml'
    meta.write_text(meta.read_text().replace('message_count: 200', 'message_count: 7'))
    with caplog.at_level(logging.WARNING, logger='asynet_ros.bag'), EventBag(bag) as opened:
        assert opened.pick_topic().count == 200
    assert f'{TOPIC}: 7 messages in metadata.yaml, 200 in the files' in bag_lines(caplog)[0]


def test_summary_topics_of_an_intact_mcap(synthetic: dict[str, Path]) -> None:
    (mcap,) = synthetic['mcap'].glob('*.mcap')
    assert summary_topics(mcap) == [(TOPIC, 'event_camera_msgs/msg/EventPacket', 200)]
    assert summary_topics(synthetic['sqlite3'] / 'metadata.yaml') is None


def damage_page(bag: Path, page: int) -> Path:
    (db,) = bag.glob('*.db3')
    data = bytearray(db.read_bytes())
    data[page * PAGE : (page + 1) * PAGE] = bytes(PAGE)
    db.write_bytes(bytes(data))
    return db


def test_damaged_page_reports_what_was_lost(
    synthetic: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bag = copy(synthetic['sqlite3'], tmp_path / 'z')
    db = damage_page(bag, (bag / next(bag.glob('*.db3')).name).stat().st_size // PAGE // 2)
    with caplog.at_level(logging.WARNING, logger='asynet_ros.bag'):
        stats = event_stats(bag)
    salvage = stats['salvage']
    assert salvage is not None
    # the rows past the damaged page are read through the index: only those in it are lost
    assert 100 < stats['messages'] < 200
    assert salvage['messages_missing'] == 200 - stats['messages']
    assert 'unreadable pages (lost)' in salvage['reason']
    (line,) = bag_lines(caplog)
    assert f'{200 - stats["messages"]} messages missing' in line
    assert '0 bytes unread' not in line
    with pytest.raises(BagError, match=rf'bag {bag} is damaged \({db.name}: .*pass --damaged'):
        write_metadata(bag, overwrite=True)
    with caplog.at_level(logging.WARNING, logger='asynet_ros.bag'):
        out = write_metadata(bag, overwrite=True, damaged=True)
    assert f'message_count: {stats["messages"]}' in out.read_text()
    assert 'counts only the readable messages' in bag_lines(caplog)[-1]


def test_mcap_cut_before_its_channels(synthetic: dict[str, Path], tmp_path: Path) -> None:
    (mcap,) = synthetic['mcap'].glob('*.mcap')
    cut = tmp_path / 'c52.mcap'
    cut.write_bytes(mcap.read_bytes()[:52])
    with pytest.raises(BagError, match=r'c52\.mcap is truncated after 52 bytes and has no chan'):
        EventBag(cut)


def test_mcap_cut_in_a_chunk_counts_only_unread_bytes(
    synthetic: dict[str, Path], tmp_path: Path
) -> None:
    (mcap,) = synthetic['mcap'].glob('*.mcap')
    data = mcap.read_bytes()
    whole = McapScan(mcap)
    offsets = [m.log_time_ns for m in whole.records() if hasattr(m, 'log_time_ns')]
    cut = tmp_path / 'cut.mcap'
    cut.write_bytes(data[: len(data) * 3 // 4])
    scan = McapScan(cut)
    got = sum(1 for m in scan.records() if hasattr(m, 'log_time_ns'))
    assert 0 < got < len(offsets)
    assert not scan.complete
    # only the bytes after the last complete message: well under the whole chunk
    assert 0 < scan.bytes_unread < len(data) * 3 // 4 // 4


def test_empty_metadata_reads_the_storage(
    synthetic: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bag = copy(synthetic['sqlite3'], tmp_path / 'em')
    (bag / 'metadata.yaml').write_text('')
    with caplog.at_level(logging.WARNING, logger='asynet_ros.bag'):
        assert event_stats(bag)['messages'] == 200
    assert (
        'metadata.yaml is empty or unreadable; read from its storage files' in bag_lines(caplog)[0]
    )


def test_reindex_of_a_lone_file_among_others(synthetic: dict[str, Path], tmp_path: Path) -> None:
    (db,) = synthetic['sqlite3'].glob('*.db3')
    folder = tmp_path / 'some'
    folder.mkdir()
    lone = Path(shutil.copy(db, folder / 'x.db3'))
    (folder / 'notes.txt').write_text('unrelated')
    with pytest.raises(BagError, match=r"its folder .*some holds other files \(\['notes.txt'\]\)"):
        write_metadata(lone)
    assert not (folder / 'metadata.yaml').exists()
    (folder / 'notes.txt').unlink()
    assert write_metadata(lone) == folder / 'metadata.yaml'


def test_reindex_of_an_event_file(tmp_path: Path) -> None:
    raw = tmp_path / 'base_evt3.raw'
    raw.write_bytes(b'% evt 3.0\n% end\n' + bytes(64))
    with pytest.raises(BagError, match=r'base_evt3\.raw is an event file, not a rosbag2 bag'):
        write_metadata(raw)


def test_messages_name_the_users_file_not_the_private_copy(
    synthetic: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bag = copy(synthetic['sqlite3'], tmp_path / 'rand1')
    (bag / 'metadata.yaml').unlink()  # read through a private folder
    damage_page(bag, 1)
    with caplog.at_level(logging.WARNING, logger='asynet_ros.bag'):
        salvage = event_stats(bag)['salvage']
    (line,) = bag_lines(caplog)
    assert 'asynet_bag_' not in line
    assert f'Cannot open database {bag / damage_name(bag)}' in salvage['reason']
    assert salvage['reason'] in line


def damage_name(bag: Path) -> str:
    return next(bag.glob('*.db3')).name


def test_metadata_listing_a_file_outside_the_bag(
    synthetic: dict[str, Path], tmp_path: Path
) -> None:
    bag = copy(synthetic['sqlite3'], tmp_path / 'ml')
    (db,) = bag.glob('*.db3')
    meta = bag / 'metadata.yaml'
    meta.write_text(meta.read_text().replace(f'- {db.name}', '- /etc/passwd'))
    with pytest.raises(
        BagError,
        match=rf"bag {bag}: metadata.yaml entry relative_file_paths\[0\] '/etc/passwd' names a "
        'file outside the bag folder; no listed storage file can be read',
    ):
        EventBag(bag)


def test_metadata_listing_a_missing_file_beside_a_readable_one(
    synthetic: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bag = copy(synthetic['sqlite3'], tmp_path / 'm2')
    (db,) = bag.glob('*.db3')
    meta = bag / 'metadata.yaml'
    meta.write_text(meta.read_text().replace(f'- {db.name}', f'- {db.name}\n  - ss_1.db3'))
    with caplog.at_level(logging.WARNING, logger='asynet_ros.bag'):
        stats = event_stats(bag)
    assert stats['messages'] == 200
    assert stats['salvage']['reason'] == (
        f"entry relative_file_paths[1] 'ss_1.db3': {bag / 'ss_1.db3'} does not exist"
    )
    assert stats['salvage']['messages_missing'] == 0
    (line,) = bag_lines(caplog)
    assert line.startswith(f'bag {bag}: metadata.yaml entry relative_file_paths[1]')
    assert line.endswith(f"read ['{db.name}'] only")
