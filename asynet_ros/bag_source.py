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

from dataclasses import dataclass
import os
from pathlib import Path, PurePath
import shutil
import tempfile
from typing import Any

import yaml

from asynet_ros.bag_errors import BagError
from asynet_ros.bag_index import reindex, storage_files, storage_of

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
    """

    shown: Path
    reader_path: Path
    files: list[Path]
    storage: str
    compression_mode: str = ''
    expected: dict[str, int] | None = None
    private: Path | None = None

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


def _listed(info: dict[str, Any], folder: Path) -> list[Path]:
    """The storage files ``info`` lists ([] if the list is not a list of names)."""
    names = info.get('relative_file_paths')
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        return []
    return [folder / PurePath(n).name for n in names]


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
    if p.is_file() and (info is None or p not in _listed(info, folder)):
        return _reindexed(p)
    if not meta.is_file():
        return _reindexed(p)
    if info is None:
        return BagSource(folder, folder, [], '')
    files = _listed(info, folder)
    mode = str(info.get('compression_mode') or '').lower()
    source = BagSource(folder, folder, files, '', '' if mode == 'none' else mode, _expected(info))
    storage = info.get('storage_identifier')
    if isinstance(storage, str) and storage:
        source.storage = storage
        return source
    source.storage = _inferred_storage(folder, files)
    source.private = _private_folder({**info, 'storage_identifier': source.storage}, files)
    source.reader_path = source.private
    return source


def _reindexed(path: Path) -> BagSource:
    """A bag without usable metadata, indexed from its storage file(s)."""
    info = reindex(path)['rosbag2_bagfile_information']
    files = storage_files(path)
    private = _private_folder(info, files)
    return BagSource(path, private, files, info['storage_identifier'], private=private)
