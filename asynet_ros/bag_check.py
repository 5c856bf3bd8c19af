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

"""Checking a bag's ``metadata.yaml`` against its storage files.

:func:`listed_files` reads ``relative_file_paths`` and says which entries cannot be read;
:func:`disagreement` compares the topics, types and message counts the metadata promises with
those the storage files hold (sqlite3: the ``topics`` and ``messages`` tables; MCAP: the summary
section), cheaply, so a bag whose metadata lies is read from its files rather than silently as
empty.
"""

from __future__ import annotations

from pathlib import Path, PurePath
import sqlite3
from typing import Any

from asynet_ros.bag_salvage import damage_of
from asynet_ros.bag_sqlite import sqlite_index
from asynet_ros.mcap_scan import McapError, summary_topics

__all__ = ['disagreement', 'listed_files']

Counts = dict[tuple[str, str], int]


def listed_files(info: dict[str, Any], folder: Path) -> tuple[list[Path], list[str]]:
    """The storage files ``info`` lists, and one line per entry that cannot be read.

    An entry is read as a file name in ``folder`` (rosbag2 once wrote ``bag/bag_0.db3``); an
    absolute path, a non-string or a file that does not exist is a problem. A list that is not
    a list gives no files and no problem (rosbags then says what is wrong).
    """
    names = info.get('relative_file_paths')
    if not isinstance(names, list):
        return [], []
    files: list[Path] = []
    problems: list[str] = []
    for k, name in enumerate(names):
        entry = f'relative_file_paths[{k}] {name!r}'
        if not isinstance(name, str) or not name:
            problems.append(f'entry {entry} is not a file name')
        elif PurePath(name).is_absolute() or '..' in PurePath(name).parts:
            problems.append(f'entry {entry} names a file outside the bag folder')
        elif not (folder / PurePath(name).name).is_file():
            problems.append(f'entry {entry}: {folder / PurePath(name).name} does not exist')
            files.append(folder / PurePath(name).name)
        else:
            files.append(folder / PurePath(name).name)
    return files, problems


def _metadata_counts(info: dict[str, Any]) -> Counts | None:
    """{(topic, type): count} of the metadata, ``None`` when an entry is malformed."""
    out: Counts = {}
    entries = info.get('topics_with_message_count')
    if not isinstance(entries, list):
        return None
    for entry in entries:
        try:
            key = (entry['topic_metadata']['name'], entry['topic_metadata']['type'])
            count = entry['message_count']
        except (KeyError, TypeError):
            return None
        if not all(isinstance(v, str) for v in key) or type(count) is not int:
            return None
        out[key] = out.get(key, 0) + count
    return out


def _storage_counts(files: list[Path], storage: str) -> Counts | None:
    """{(topic, type): count} the files hold; ``None`` when they cannot tell cheaply."""
    out: Counts = {}
    for path in files:
        try:
            if storage == 'sqlite3':
                errors: list[str] = []
                topics = [(t.name, t.msgtype, t.count) for t in sqlite_index(path, errors)]
                if errors:
                    return None  # damaged: the salvage reports it
            else:
                found = summary_topics(path)
                if found is None:
                    return None
                topics = found
        except (sqlite3.Error, McapError, OSError):
            return None
        for name, msgtype, count in topics:
            out[name, msgtype] = out.get((name, msgtype), 0) + count
    return out


def disagreement(info: dict[str, Any], files: list[Path], storage: str) -> str:
    """How the metadata's topics, types and counts differ from the files' (``''``: they agree).

    Damaged or unreadable files, or malformed metadata, give ``''``: the readers report those.
    """
    if not files or not all(f.is_file() for f in files) or damage_of(files, storage):
        return ''
    promised = _metadata_counts(info)
    held = _storage_counts(files, storage)
    if promised is None or held is None or promised == held:
        return ''
    only_meta = sorted(f'{n} ({t})' for n, t in promised.keys() - held.keys())
    only_files = sorted(f'{n} ({t})' for n, t in held.keys() - promised.keys())
    parts = []
    if only_meta:
        parts.append(f'topics only in metadata.yaml: {only_meta}')
    if only_files:
        parts.append(f'topics only in the files: {only_files}')
    for key in sorted(promised.keys() & held.keys()):
        if promised[key] != held[key]:
            parts.append(
                f'{key[0]}: {promised[key]} messages in metadata.yaml, {held[key]} in the files'
            )
    return '; '.join(parts)
