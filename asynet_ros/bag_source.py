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

"""What a bag path the user gave stands for: its folder, metadata, storage files and storage.

A folder with a complete ``metadata.yaml`` is read as it is. A ``metadata.yaml`` with an empty or
missing ``storage_identifier``, a folder without one, or a lone ``.db3`` / ``.mcap`` file not
listed by a ``metadata.yaml`` beside it, is read through a private temporary folder holding the
completed (or rebuilt) metadata and symbolic links to the storage files: the user's folder is
never written to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import os
from pathlib import Path
import shutil
import tempfile
from typing import Any

import yaml

from asynet_ros.bag_check import disagreement, listed_files
from asynet_ros.bag_errors import BagError
from asynet_ros.bag_index import reindex, reindex_files, storage_files, storage_of

__all__ = ['BagSource', 'locate']


@dataclass
class BagSource:
    """A bag as found on disk.

    Attributes:
        shown: the path errors and reports name (the folder, or the lone storage file).
        reader_path: the folder rosbags opens (``shown``'s folder, or a private one).
        files: the storage files in order (empty when the metadata cannot be read: rosbags then
            says what is wrong).
        storage: ``sqlite3``, ``mcap``, or ``''`` when unknown.
        compression_mode: ``''``, ``file`` or ``message`` (rosbag2 zstd compression).
        expected: message count by topic from the user's ``metadata.yaml`` (``None`` without).
        private: the private temporary folder (removed by :meth:`cleanup`), or ``None``.
        warning: one line saying how the metadata was set aside or completed (``''``: read as
            it is).
        missing: the listed storage files that do not exist (read without them).
    """

    shown: Path
    reader_path: Path
    files: list[Path]
    storage: str
    compression_mode: str = ''
    expected: dict[str, int] | None = None
    private: Path | None = None
    warning: str = ''
    missing: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        """Remove the private folder (the user's files, behind links, are untouched)."""
        if self.private is not None:
            shutil.rmtree(self.private, ignore_errors=True)
            self.private = None


def _load_info(meta: Path) -> dict[str, Any] | None:
    """``rosbag2_bagfile_information`` of a metadata file, ``None`` if it does not parse."""
    try:
        info = yaml.safe_load(meta.read_text(encoding='utf-8'))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    info = info.get('rosbag2_bagfile_information') if isinstance(info, dict) else None
    return info if isinstance(info, dict) else None


def _expected(info: dict[str, Any]) -> dict[str, int] | None:
    """Message count by topic, ``None`` unless every entry is well formed."""
    out: dict[str, int] = {}
    entries = info.get('topics_with_message_count')
    for entry in entries if isinstance(entries, list) else []:
        try:
            name, count = entry['topic_metadata']['name'], entry['message_count']
        except (KeyError, TypeError):
            return None
        if not isinstance(name, str) or type(count) is not int:
            return None
        out[name] = out.get(name, 0) + count
    return out if isinstance(entries, list) else None


def _private_folder(info: dict[str, Any], files: list[Path]) -> Path:
    """A temporary folder with ``metadata.yaml`` and links to ``files``."""
    folder = Path(tempfile.mkdtemp(prefix='asynet_bag_'))
    try:
        text = yaml.safe_dump({'rosbag2_bagfile_information': info}, sort_keys=False)
        (folder / 'metadata.yaml').write_text(text, encoding='utf-8')
        for f in files:
            os.symlink(f.resolve(), folder / f.name)
    except OSError as err:
        shutil.rmtree(folder, ignore_errors=True)
        raise BagError(
            f'cannot prepare a private copy of the bag metadata in {folder}: {err}'
        ) from err
    return folder


def _inferred_storage(shown: Path, files: list[Path]) -> str:
    """The one storage of ``files`` by magic bytes or suffix.

    Raises:
        BagError: none listed, or no single storage can be told.
    """
    kinds = {storage_of(f) for f in files if f.exists()}
    if len(kinds) == 1 and '' not in kinds:
        return kinds.pop()
    raise BagError(
        f'bag {shown}: metadata.yaml has no storage_identifier and the storage of '
        f'{[f.name for f in files]} cannot be told from the files (expected .db3 or .mcap); '
        'set storage_identifier in metadata.yaml to sqlite3 or mcap'
    )


def locate(path: str | Path) -> BagSource:
    """The :class:`BagSource` of a bag folder or storage file (call ``cleanup`` when done).

    Raises:
        BagError: ``path`` does not exist, or holds no bag, or its files cannot be indexed.
    """
    p = Path(path)
    if not p.exists():
        raise BagError(f'bag {path} does not exist')
    folder = p.parent if p.is_file() else p
    meta = folder / 'metadata.yaml'
    info = _load_info(meta) if meta.is_file() else None
    listed, problems = listed_files(info, folder) if info is not None else ([], [])
    if p.is_file() and p not in listed:
        return _reindexed(p)
    if not meta.is_file():
        return _reindexed(p)
    if info is None:
        return _unreadable_metadata(folder)
    if problems:
        return _partly_listed(folder, info, listed, problems)
    mode = str(info.get('compression_mode') or '').lower()
    source = BagSource(folder, folder, listed, '', '' if mode == 'none' else mode, _expected(info))
    storage = info.get('storage_identifier')
    if isinstance(storage, str) and storage:
        source.storage = storage
    else:
        source.storage = _inferred_storage(folder, listed)
        source.private = _private_folder({**info, 'storage_identifier': source.storage}, listed)
        source.reader_path = source.private
    return _trust_storage(source, info)


def _unreadable_metadata(folder: Path) -> BagSource:
    """A folder whose ``metadata.yaml`` is empty or does not parse: read from its storage files.

    Without storage files, rosbags reads the metadata and says what is wrong with it.
    """
    try:
        files = storage_files(folder)
    except BagError:
        return BagSource(folder, folder, [], '')
    source = _reindexed_files(folder, files)
    source.warning = (
        f'bag {folder}: metadata.yaml is empty or unreadable; read from its storage files '
        f'{[f.name for f in files]} instead (run asynet-events reindex --overwrite to rebuild it)'
    )
    return source


def _partly_listed(
    folder: Path, info: dict[str, Any], listed: list[Path], problems: list[str]
) -> BagSource:
    """A ``metadata.yaml`` listing storage files of which some are missing or not file names.

    Raises:
        BagError: none of the listed files is readable.
    """
    readable = [f for f in listed if f.is_file()]
    what = f'bag {folder}: metadata.yaml {problems[0]}'
    if not readable:
        raise BagError(
            f'{what}; no listed storage file can be read: fix relative_file_paths in '
            'metadata.yaml, or move metadata.yaml away to read the .db3/.mcap files in the folder'
        )
    source = _reindexed_files(folder, readable)
    source.expected = _expected(info)
    source.missing = problems
    source.warning = f'{what}; read {[f.name for f in readable]} only'
    return source


def _trust_storage(source: BagSource, info: dict[str, Any]) -> BagSource:
    """``source``, or when its metadata disagrees with the storage files, read from the files."""
    if source.compression_mode or source.storage not in ('sqlite3', 'mcap'):
        return source
    differs = disagreement(info, source.files, source.storage)
    if not differs:
        return source
    source.cleanup()
    trusted = _reindexed_files(source.shown, source.files)
    trusted.warning = (
        f'bag {source.shown}: metadata.yaml disagrees with the storage files ({differs}); '
        'read what the storage files hold (run asynet-events reindex --overwrite to fix it)'
    )
    return trusted


def _reindexed(path: Path) -> BagSource:
    """A bag without usable metadata, indexed from its storage file(s)."""
    info = reindex(path)['rosbag2_bagfile_information']
    files = storage_files(path)
    private = _private_folder(info, files)
    return BagSource(path, private, files, info['storage_identifier'], private=private)


def _reindexed_files(shown: Path, files: list[Path]) -> BagSource:
    """A bag read through metadata rebuilt from ``files``."""
    info = reindex_files(files, str(shown))['rosbag2_bagfile_information']
    private = _private_folder(info, files)
    return BagSource(shown, private, files, info['storage_identifier'], private=private)
