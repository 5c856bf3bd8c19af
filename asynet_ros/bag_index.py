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

"""Rebuilding a rosbag2 ``metadata.yaml`` from the storage files (``ros2 bag reindex``).

:func:`reindex` reads the ``.db3`` / ``.mcap`` files of a bag folder (or one such file) and returns
the metadata rosbag2 would have written (version 8, no compression); :func:`write_metadata` writes
it into the folder. :func:`storage_of` tells a file's storage by its magic bytes or its suffix.
"""

from __future__ import annotations

import logging
from pathlib import Path
import re
import sqlite3
from typing import Any

import yaml

from asynet_core.cli import check_output_file, write_atomically
from asynet_ros.bag_errors import BagError
from asynet_ros.bag_sqlite import sqlite_index, SQLITE_MAGIC, truncation
from asynet_ros.mcap_scan import MAGIC as MCAP_MAGIC
from asynet_ros.mcap_scan import McapChannel, McapError, McapMessage, McapScan, McapSchema

__all__ = ['reindex', 'reindex_files', 'storage_files', 'storage_of', 'write_metadata']

_SUFFIXES = {'.db3': 'sqlite3', '.mcap': 'mcap'}
_EVENT_FILE_SUFFIXES = ('.raw', '.dat', '.aedat4', '.aedat', '.h5', '.hdf5', '.npy', '.npz')
_LOG = logging.getLogger('asynet_ros.bag')
_VERSION = 8


def storage_of(path: Path) -> str:
    """``'sqlite3'`` or ``'mcap'`` by the file's magic bytes, else by its suffix, else ``''``."""
    try:
        with path.open('rb') as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError:
        head = b''
    if head.startswith(MCAP_MAGIC):
        return 'mcap'
    if head.startswith(SQLITE_MAGIC):
        return 'sqlite3'
    name = path.name.removesuffix('.zstd')
    return _SUFFIXES.get(Path(name).suffix, '')


def _split_order(path: Path) -> tuple[str, int, str]:
    """Sort key: ``bag_2.db3`` before ``bag_10.db3`` (rosbag2 numbers split files)."""
    match = re.match(r'(.*?)(\d+)(\.[^.]+)$', path.name)
    return (match[1], int(match[2]), match[3]) if match else (path.name, -1, '')


def storage_files(path: str | Path) -> list[Path]:
    """The storage files of a bag: ``path`` if a file, else the folder's ``.db3`` or ``.mcap``.

    Raises:
        BagError: ``path`` does not exist, the folder holds no storage file, or both kinds.
    """
    p = Path(path)
    if p.is_file():
        if storage_of(p):
            return [p]
        if p.suffix.lower() in _EVENT_FILE_SUFFIXES:
            raise BagError(
                f'{p} is an event file, not a rosbag2 bag: read it directly (asynet-events '
                'stats/convert take it as it is); reindex takes a bag folder or .db3/.mcap file'
            )
        raise BagError(f'{p} is not a rosbag2 bag: expected a bag folder or a .db3/.mcap file')
    if not p.is_dir():
        raise BagError(f'bag {p} does not exist')
    files = sorted(
        (f for f in p.iterdir() if f.suffix in _SUFFIXES and f.is_file()), key=_split_order
    )
    kinds = {f.suffix for f in files}
    if not files:
        raise BagError(f'bag {p}: no metadata.yaml and no .db3 or .mcap file (not a rosbag2 bag)')
    if len(kinds) > 1:
        raise BagError(
            f'bag {p} holds both .db3 and .mcap files and no metadata.yaml: move one kind away'
        )
    return files


def _file_topics(path: Path, storage: str, damage: list[str]) -> list[dict[str, Any]]:
    """[{name, type, format, qos, count, start, end}] of one storage file.

    Counts of a damaged file are those of its readable records; why is appended to ``damage``.
    """
    if storage == 'sqlite3':
        errors: list[str] = [truncation(path)] if truncation(path) else []
        try:
            return [
                {
                    'name': t.name,
                    'type': t.msgtype,
                    'format': t.serialization_format,
                    'qos': t.offered_qos_profiles,
                    'count': t.count,
                    'start': t.start_ns,
                    'end': t.end_ns,
                }
                for t in sqlite_index(path, errors)
            ]
        except sqlite3.Error as err:
            raise BagError(f'{path} is not a readable rosbag2 sqlite3 file: {err}') from err
        finally:
            damage.extend(errors)
    return _mcap_topics(path, damage)


def _mcap_topics(path: Path, damage: list[str]) -> list[dict[str, Any]]:
    """The topics of an MCAP file from one linear pass (works without summary or footer)."""
    scan = McapScan(path)
    schemas: dict[int, str] = {}
    by_channel: dict[int, dict[str, Any]] = {}
    try:
        for record in scan.records():
            if isinstance(record, McapSchema):
                schemas[record.id] = record.name
            elif isinstance(record, McapChannel):
                by_channel[record.id] = {
                    'name': record.topic, 'type': schemas.get(record.schema_id, ''),
                    'format': record.message_encoding,
                    'qos': record.metadata.get('offered_qos_profiles', ''),
                    'count': 0, 'start': None, 'end': None,
                }  # fmt: skip
            elif isinstance(record, McapMessage) and record.channel_id in by_channel:
                _count(by_channel[record.channel_id], record.log_time_ns)
    except (McapError, OSError) as err:
        raise BagError(f'{path} is not a readable MCAP file: {err}') from err
    if not scan.complete:
        damage.append(f'{path.name}: {scan.reason} ({scan.bytes_unread} bytes unread)')
    return list(by_channel.values())


def _count(topic: dict[str, Any], t_ns: int) -> None:
    topic['count'] += 1
    topic['start'] = t_ns if topic['start'] is None else min(topic['start'], t_ns)
    topic['end'] = t_ns if topic['end'] is None else max(topic['end'], t_ns)


def _span(items: list[dict[str, Any]]) -> tuple[int, int]:
    """(start ns, duration ns) over ``items`` with messages; (0, 0) when there are none."""
    starts = [t['start'] for t in items if t['count']]
    ends = [t['end'] for t in items if t['count']]
    return (min(starts), max(ends) - min(starts)) if starts else (0, 0)


def reindex(path: str | Path, damage: list[str] | None = None) -> dict[str, Any]:
    """The ``metadata.yaml`` content (version 8) of a bag folder or of one storage file.

    Topics, types, message counts, start time and duration, storage and file list are read from
    the files (sqlite3: the ``topics`` and ``messages`` tables; MCAP: a linear pass over its
    records, so a file without summary or cut short is indexed up to its last good record).
    Compression is recorded as none. Nothing is written. Why a damaged file could be read only
    in part is appended to ``damage`` (when given).

    Raises:
        BagError: no storage file, mixed or unknown storage, or a file that cannot be read.
    """
    return reindex_files(storage_files(path), str(path), damage)


def reindex_files(
    files: list[Path], bag: str = '', damage: list[str] | None = None
) -> dict[str, Any]:
    """:func:`reindex` of the storage ``files`` (in order) of the bag ``bag`` (for messages).

    Why a damaged file could be read only in part is appended to ``damage`` (when given).

    Raises:
        BagError: a mix of storages or an unknown one, or a file that cannot be read.
    """
    storages = {storage_of(f) for f in files}
    if len(storages) != 1 or '' in storages:
        names = [f.name for f in files]
        raise BagError(f'bag {bag or files}: cannot tell the storage (sqlite3 or mcap) of {names}')
    (storage,) = storages
    topics: dict[tuple[str, str], dict[str, Any]] = {}
    entries = []
    for f in files:
        per_file = _file_topics(f, storage, [] if damage is None else damage)
        start, duration = _span(per_file)
        entries.append({
            'path': f.name, 'starting_time': {'nanoseconds_since_epoch': start},
            'duration': {'nanoseconds': duration},
            'message_count': sum(t['count'] for t in per_file),
        })  # fmt: skip
        for t in per_file:
            merged = topics.setdefault((t['name'], t['type']), {**t, 'count': 0, 'start': None})
            for key, pick in (('start', min), ('end', max)):
                if t[key] is not None:
                    merged[key] = t[key] if merged[key] is None else pick(merged[key], t[key])
            merged['count'] += t['count']
    return _metadata(storage, files, entries, list(topics.values()))


def _metadata(
    storage: str, files: list[Path], entries: list[dict[str, Any]], topics: list[dict[str, Any]]
) -> dict[str, Any]:
    start, duration = _span(topics)
    return {
        'rosbag2_bagfile_information': {
            'version': _VERSION,
            'storage_identifier': storage,
            'duration': {'nanoseconds': duration},
            'starting_time': {'nanoseconds_since_epoch': start},
            'message_count': sum(t['count'] for t in topics),
            'topics_with_message_count': [
                {
                    'message_count': t['count'],
                    'topic_metadata': {
                        'name': t['name'],
                        'type': t['type'],
                        'serialization_format': t['format'],
                        'offered_qos_profiles': t['qos'],
                        'type_description_hash': '',
                    },
                }
                for t in topics
            ],
            'compression_format': '',
            'compression_mode': '',
            'relative_file_paths': [f.name for f in files],
            'files': entries,
            'custom_data': {},
            'ros_distro': '',
        }
    }


def write_metadata(path: str | Path, *, overwrite: bool = False, damaged: bool = False) -> Path:
    """Write :func:`reindex`'s metadata as ``metadata.yaml`` into the bag folder; return its path.

    ``path`` is the bag folder or one of its storage files (then the whole folder is indexed,
    and refused when it holds files that are not storage files: a lone ``.db3`` among other
    files). The file is written atomically (never half a file). A damaged storage file is
    refused unless ``damaged`` (then the counts are those of its readable records, and one
    warning naming the damage goes to the ``asynet_ros.bag`` logger).

    Raises:
        BagError: see :func:`reindex`; a lone storage file among other files; a damaged file
            without ``damaged``.
        OutputError: ``metadata.yaml`` exists and ``overwrite`` is false, or the folder is not
            writable.
        OSError: the write failed (the message names the file).
    """
    p = Path(path)
    storage_files(p)  # an event file or other non-bag file: one clear error
    folder = p.parent if p.is_file() else p
    if p.is_file():
        _check_lone_file(p, folder)
    out = folder / 'metadata.yaml'
    check_output_file(out, overwrite=overwrite)
    damage: list[str] = []
    info = reindex(folder, damage)
    if damage and not damaged:
        raise BagError(
            f'bag {p} is damaged ({"; ".join(damage)}): its metadata would count only the '
            'readable messages; pass --damaged (damaged=True) to write it anyway'
        )
    if damage:
        _LOG.warning('bag %s is damaged (%s): %s counts only the readable messages',
                     p, '; '.join(damage), out)  # fmt: skip
    text = yaml.safe_dump(info, sort_keys=False, default_flow_style=False)
    write_atomically(out, text.encode('utf-8'))
    return out


def _check_lone_file(path: Path, folder: Path) -> None:
    """Refuse a storage file whose folder holds other files (not a bag folder of its own)."""
    others = sorted(
        f.name for f in folder.iterdir()
        if f.name != 'metadata.yaml' and not (f.is_file() and storage_of(f) == storage_of(path))
    )  # fmt: skip
    if others:
        raise BagError(
            f'{path}: its folder {folder} holds other files ({others[:5]}), so metadata.yaml '
            f'there would claim them for a bag: move {path.name} into a folder of its own and '
            'reindex that folder'
        )
