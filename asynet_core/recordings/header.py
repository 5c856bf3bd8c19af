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

"""Prophesee RAW headers: the ``% key value`` lines, the encoding they name, the sensor size.

A RAW file starts with ASCII lines ``% key value`` (``%``, a space, a key, a space, a value, a
line feed); an optional ``% end`` line closes the header, otherwise the first line that does not
start with ``% `` is the first byte of data. The encoding is named by ``% evt 3.0`` (or ``2.0``,
``2.1``) and/or by the Metavision ``% format EVT3;height=720;width=1280`` line; the size by the
``format`` line's ``width``/``height`` or by ``% geometry 1280x720``.
"""

from __future__ import annotations

from pathlib import Path
import re
from typing import BinaryIO

from asynet_core.events import SensorSize
from asynet_core.recordings.base import EventFileError
from asynet_core.recordings.sensors import sensors_named

__all__ = [
    'RAW_FORMATS',
    'header_sensor',
    'name_conflict',
    'name_sensor',
    'raw_format',
    'read_raw_header',
    'resolve_sensor',
]

#: ``% evt`` values and ``% format`` encodings -> our format names.
RAW_FORMATS = {
    '2.0': 'evt2',
    '2.1': 'evt2.1',
    '3.0': 'evt3',
    'EVT2': 'evt2',
    'EVT21': 'evt2.1',
    'EVT3': 'evt3',
}
_MAX_HEADER_LINES = 10_000
_GEOMETRY = re.compile(r'^\s*(\d+)\s*x\s*(\d+)\s*$')


def read_raw_header(path: Path, stream: BinaryIO) -> tuple[dict[str, str], int]:
    """Read the header lines from the start of ``stream``: ``({key: value}, data offset)``.

    Raises:
        EventFileError: a header line without a line end, or an endless header.
    """
    header: dict[str, str] = {}
    stream.seek(0)
    offset = 0
    for _ in range(_MAX_HEADER_LINES):
        line = stream.readline(1 << 16)
        if not line.startswith(b'% '):
            return header, offset
        if not line.endswith(b'\n'):
            raise EventFileError(
                f'{path}: RAW header line at byte {offset} has no line end (a truncated or '
                'corrupt file)'
            )
        offset += len(line)
        key, _, value = line[2:].decode('latin-1').strip().partition(' ')
        if key == 'end':
            return header, offset
        header[key] = value.strip()
    raise EventFileError(f'{path}: RAW header has more than {_MAX_HEADER_LINES} lines')


def raw_format(path: Path, header: dict[str, str]) -> str:
    """The encoding the header names: ``'evt2'``, ``'evt2.1'`` or ``'evt3'``.

    Raises:
        EventFileError: no ``evt``/``format`` line, an unsupported encoding, or the two disagree.
    """
    named = {}
    if 'evt' in header:
        named['evt'] = header['evt'].strip()
    if 'format' in header:
        named['format'] = header['format'].split(';')[0].strip().upper()
    if not named:
        raise EventFileError(
            f'{path}: the RAW header names no encoding: it needs a "% evt 3.0" (or 2.0, 2.1) or '
            'a "% format EVT3" line; add one to the header if you know the encoding'
        )
    unknown = {k: v for k, v in named.items() if v not in RAW_FORMATS}
    if unknown:
        raise EventFileError(
            f'{path}: unsupported RAW encoding {unknown}; readable: EVT 2.0, 2.1 and 3.0'
        )
    formats = {RAW_FORMATS[v] for v in named.values()}
    if len(formats) > 1:
        raise EventFileError(f'{path}: the RAW header lines disagree on the encoding: {named}')
    return formats.pop()


def header_sensor(path: Path, header: dict[str, str]) -> tuple[SensorSize, str] | None:
    """The size the ``format``/``geometry`` lines give, with the line that gave it, or None.

    Raises:
        EventFileError: a malformed size, or the two lines disagree.
    """
    found: dict[str, SensorSize] = {}
    if 'format' in header:
        params = _format_params(path, header['format'])
        if 'width' in params or 'height' in params:
            found['format'] = _size(path, 'format', params.get('width'), params.get('height'))
    if 'geometry' in header:
        match = _GEOMETRY.match(header['geometry'])
        if match is None:
            raise EventFileError(
                f'{path}: RAW header geometry {header["geometry"]!r} is not WIDTHxHEIGHT'
            )
        found['geometry'] = _size(path, 'geometry', match[1], match[2])
    if len(set(found.values())) > 1:
        raise EventFileError(f'{path}: the RAW header lines disagree on the sensor size: {found}')
    if not found:
        return None
    key, size = next(iter(found.items()))
    return size, f'{key} {header[key]}'


def _format_params(path: Path, line: str) -> dict[str, str]:
    """The ``key=value`` parameters of a ``format`` line, whitespace around them stripped.

    Raises:
        EventFileError: a key given twice with different values.
    """
    params: dict[str, str] = {}
    for part in line.split(';')[1:]:
        key, _, value = (p.strip() for p in part.partition('='))
        if key in params and params[key] != value:
            raise EventFileError(
                f'{path}: RAW header format line {line!r} gives {key} twice '
                f'({params[key]!r} and {value!r}); fix the header'
            )
        params[key] = value
    return params


def _size(path: Path, key: str, width: str | None, height: str | None) -> SensorSize:
    if width is None or height is None or not (width.isdigit() and height.isdigit()):
        raise EventFileError(
            f'{path}: RAW header {key} line gives no integer width and height '
            f'(width={width!r}, height={height!r})'
        )
    try:
        return SensorSize(int(width), int(height))
    except ValueError as err:
        raise EventFileError(f'{path}: RAW header {key} line: {err}') from err


def name_sensor(header: dict[str, str]) -> tuple[SensorSize, str] | None:
    """The size the header's known sensor/plugin names imply, if they agree on one.

    See :func:`name_conflict` for the names that disagree.
    """
    named = sensors_named(header)
    sizes = set(named.values())
    if len(sizes) != 1:
        return None
    return sizes.pop(), ', '.join(named)


def name_conflict(header: dict[str, str]) -> str:
    """The header's sensor/plugin names that imply different sizes, as text (``''``: none).

    For example ``'plugin_name=hal_plugin_gen41_evk3: 1280x720, sensor_generation=3.1: 640x480'``.
    """
    named = sensors_named(header)
    if len(set(named.values())) < 2:
        return ''
    return ', '.join(f'{name}: {size.width}x{size.height}' for name, size in named.items())


def resolve_sensor(
    path: Path,
    from_header: tuple[SensorSize, str] | None,
    from_name: tuple[SensorSize, str] | None,
    given: SensorSize | None,
) -> tuple[SensorSize, str] | None:
    """The sensor size and its source (``'header'``, ``'sensor name'``, ``'given'``), or None.

    Raises:
        EventFileError: ``given`` contradicts the size the header gives or its sensor name implies.
    """
    for found, source in ((from_header, 'header'), (from_name, 'sensor name')):
        if found is None:
            continue
        size, line = found
        if given is not None and given != size:
            raise EventFileError(
                f'{path}: the given sensor size {given.width}x{given.height} contradicts the '
                f'header ({line}: {size.width}x{size.height}); drop --width/--height'
            )
        return size, source
    return (given, 'given') if given is not None else None
