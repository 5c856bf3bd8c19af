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


"""EventBag on the bags third-party recorders leave.

No storage_identifier, no metadata.yaml, a lone storage file, compression, truncated files.

Each opened bag must give the same ``asynet-events stats`` as the intact original, and the
user's folder must be left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from pathlib import Path
import re
import shutil
from typing import Any

import pytest

from asynet_ros.bag import BagError, EventBag
from asynet_tools.events import event_stats


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of ``folder`` by name, with its bytes (to check nothing was written)."""
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir())}


def raw_events(path: Path) -> list[tuple[int, bytes]]:
    """(bag time ns, CDR bytes) of the event topic."""
    with EventBag(path) as bag:
        topic = bag.pick_topic().name
        return [(t, bytes(raw)) for _, _, t, raw in bag.raw_messages([topic])]


@pytest.fixture(scope='module')
def reference(synthetic: dict[str, Path]) -> dict[str, Any]:
    stats = event_stats(synthetic['sqlite3'])
    assert stats['messages'] == 200
    assert stats['salvage'] is None
    return stats


def copy_bag(bag: Path, dest: Path) -> Path:
    shutil.copytree(bag, dest)
    return dest


# -- 1. storage_identifier empty or missing ----------------------------------------------------


@pytest.mark.parametrize('name', ['metavision_evt3', 'legacy_mono'])
@pytest.mark.parametrize('how', ['blank', 'missing'])
def test_storage_identifier_is_inferred(
    real_bag: Callable[[str], Path], tmp_path: Path, name: str, how: str
) -> None:
    original = real_bag(name)
    bag = copy_bag(original, tmp_path / name)
    meta = bag / 'metadata.yaml'
    text = meta.read_text(encoding='utf-8')
    replacement = r"\1storage_identifier: ''\n" if how == 'blank' else ''
    meta.write_text(re.sub(r'( *)storage_identifier: sqlite3\n', replacement, text), 'utf-8')
    assert 'sqlite3' not in meta.read_text(encoding='utf-8')
    before = snapshot(bag)
    assert event_stats(bag) == event_stats(original)
    assert snapshot(bag) == before


def test_storage_identifier_is_inferred_by_magic(
    synthetic: dict[str, Path], tmp_path: Path
) -> None:
    bag = copy_bag(synthetic['mcap'], tmp_path / 'bag')
    (mcap,) = bag.glob('*.mcap')
    mcap.rename(bag / 'data.bin')
    meta = bag / 'metadata.yaml'
    text = meta.read_text(encoding='utf-8').replace(mcap.name, 'data.bin')
    meta.write_text(text.replace('storage_identifier: mcap', "storage_identifier: ''"), 'utf-8')
    assert raw_events(bag) == raw_events(synthetic['mcap'])


def test_unknown_storage_is_one_clear_error(synthetic: dict[str, Path], tmp_path: Path) -> None:
    bag = copy_bag(synthetic['sqlite3'], tmp_path / 'bag')
    (db,) = bag.glob('*.db3')
    db.rename(bag / 'data.bin')
    (bag / 'data.bin').write_bytes(b'neither sqlite nor mcap' * 10)
    meta = bag / 'metadata.yaml'
    text = meta.read_text(encoding='utf-8').replace(db.name, 'data.bin')
    meta.write_text(text.replace('storage_identifier: sqlite3', "storage_identifier: ''"), 'utf-8')
    with pytest.raises(BagError, match=r'bag .*bag: metadata\.yaml has no storage_identifier'):
        EventBag(bag)


# -- 2. no metadata.yaml, or a lone storage file -------------------------------------------------


@pytest.mark.parametrize('name', ['metavision_evt3', 'legacy_mono'])
def test_real_bag_without_metadata(
    real_bag: Callable[[str], Path], tmp_path: Path, name: str
) -> None:
    original = real_bag(name)
    bag = copy_bag(original, tmp_path / name)
    (bag / 'metadata.yaml').unlink()
    before = snapshot(bag)
    expected = event_stats(original)
    assert event_stats(bag) == expected
    (db,) = bag.glob('*.db3')
    assert event_stats(db) == expected  # the lone file, given directly
    assert snapshot(bag) == before


@pytest.mark.parametrize('storage', ['sqlite3', 'mcap'])
def test_lone_storage_file(
    synthetic: dict[str, Path], reference: dict[str, Any], tmp_path: Path, storage: str
) -> None:
    (source,) = (f for f in synthetic[storage].iterdir() if f.name != 'metadata.yaml')
    lone = tmp_path / source.name
    shutil.copy(source, lone)
    assert event_stats(lone) == reference
    with EventBag(lone) as bag:
        assert bag.path == lone
        assert bag.salvage is None
        private = bag._source.private
        assert private is not None
        assert private.is_dir()
    assert not private.exists()  # the private metadata folder is removed on close
    assert sorted(tmp_path.iterdir()) == [lone]
    # with its metadata.yaml beside it, the file opens the folder as recorded
    assert event_stats(synthetic[storage] / source.name) == reference


def test_folder_without_storage_files(tmp_path: Path) -> None:
    (tmp_path / 'notes.txt').write_text('x')
    with pytest.raises(BagError, match=r'no metadata\.yaml and no \.db3 or \.mcap file'):
        EventBag(tmp_path)


# -- 4. compression -------------------------------------------------------------------------------


# rosbags compresses storage-side (MCAP chunks) in MCAP only: no sqlite3 STORAGE case.
@pytest.mark.parametrize(
    ('storage', 'mode'),
    [
        ('sqlite3', 'FILE'),
        ('sqlite3', 'MESSAGE'),
        ('mcap', 'FILE'),
        ('mcap', 'MESSAGE'),
        ('mcap', 'STORAGE'),
    ],
)
def test_compressed_bags(
    synthetic: dict[str, Path], tmp_path: Path, storage: str, mode: str
) -> None:
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.rosbag2.enums import CompressionFormat, CompressionMode

    original = synthetic[storage]
    expected = raw_events(original)
    bag = tmp_path / 'bag'
    plugin = StoragePlugin.SQLITE3 if storage == 'sqlite3' else StoragePlugin.MCAP
    writer = Writer(bag, version=8, storage_plugin=plugin)
    writer.set_compression(CompressionMode[mode], CompressionFormat.ZSTD)
    with writer:
        with EventBag(original) as source:
            topic = source.pick_topic()
            conn = writer.add_connection(topic.name, topic.msgtype, typestore=source.typestore)
        for t, raw in expected:
            writer.write(conn, t, raw)
    if mode == 'STORAGE':
        assert b'zstd' in next(bag.glob('*.mcap')).read_bytes()[:4096]
    assert raw_events(bag) == expected
    assert event_stats(bag)['messages'] == len(expected)


# -- 5. truncated bags ----------------------------------------------------------------------------


def test_truncated_mcap_reads_up_to_the_cut(
    synthetic: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    expected = raw_events(synthetic['mcap'])
    bag = copy_bag(synthetic['mcap'], tmp_path / 'bag')
    (mcap,) = bag.glob('*.mcap')
    data = mcap.read_bytes()
    mcap.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING, logger='asynet_ros.bag'), EventBag(bag) as opened:
        assert opened.salvage is not None
        topic = opened.pick_topic().name
        got = [(t, bytes(raw)) for _, _, t, raw in opened.raw_messages([topic])]
        salvage = opened.salvage
    assert 0 < len(got) < len(expected)
    assert got == expected[: len(got)]  # a prefix: every message read is intact
    assert salvage.records_read == len(got)
    assert salvage.messages_missing == len(expected) - len(got)
    assert 0 < salvage.bytes_unread < len(data) // 2
    assert 'cut short' in salvage.reason or 'footer' in salvage.reason
    (line,) = [r.getMessage() for r in caplog.records if r.name == 'asynet_ros.bag']
    assert f'read {len(got)} messages' in line
    assert str(bag) in line


def test_truncated_db3_reads_up_to_the_cut(
    synthetic: dict[str, Path], reference: dict[str, Any], tmp_path: Path
) -> None:
    expected = raw_events(synthetic['sqlite3'])
    bag = copy_bag(synthetic['sqlite3'], tmp_path / 'bag')
    (db,) = bag.glob('*.db3')
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    with EventBag(bag) as opened:
        topic = opened.pick_topic().name
        got = [(t, bytes(raw)) for _, _, t, raw in opened.raw_messages([topic])]
        salvage = opened.salvage
    assert salvage is not None
    assert 0 < len(got) < len(expected)
    assert set(got) <= set(expected)
    assert salvage.messages_missing == len(expected) - len(got)
    assert salvage.bytes_unread == len(data) - len(data) // 2
    assert 'cut short' in salvage.reason
    stats = event_stats(bag)
    assert 0 < stats['messages'] < reference['messages']


def test_truncated_db3_without_metadata(synthetic: dict[str, Path], tmp_path: Path) -> None:
    (db,) = synthetic['sqlite3'].glob('*.db3')
    lone = tmp_path / db.name
    data = db.read_bytes()
    lone.write_bytes(data[: len(data) // 2])
    with EventBag(lone) as opened:
        count = sum(1 for _ in opened.event_messages())
        assert opened.salvage is not None
        assert opened.salvage.messages_missing is None
    assert 0 < count < 200
