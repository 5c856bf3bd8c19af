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

"""Open an event file, read its header, and stream its events in bounded memory.

:func:`open_event_file` picks the format from the suffix and the header, resolves the sensor
size (header ``format``/``geometry`` line or DAT ``Width``/``Height``, else a known sensor or
plugin name, else the caller's size, else an error; DAT files without any of these fall back to
the extent of their events) and returns an :class:`EventFile`. Its :meth:`EventFile.chunks` reads
the payload a block of words at a time, decodes it with the format's stateful decoder (state
carried across blocks, so a block may end anywhere) and fills :attr:`EventFile.time_order`.

Events outside the sensor are an error (:class:`EventFileError` naming the first such event), not
dropped: in a file the header or the caller's size is wrong, or the file is corrupt, and silently
dropping would hide either. (The ROS packet decoders drop and count instead: a live stream must go
on.)
"""

from __future__ import annotations

from collections.abc import Iterator
import logging
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np

from asynet_core.events import concatenate_events, SensorSize
from asynet_core.recordings.base import (
    check_regular_file,
    EventFileError,
    EventFileInfo,
    FileSalvage,
    TimeOrder,
)
from asynet_core.recordings.decoding import BadWordError, WordDecoder
from asynet_core.recordings.opening import open_dat, open_raw

__all__ = ['EventFile', 'open_event_file', 'read_event_file']

_OPENERS = {'.raw': open_raw, '.dat': open_dat}
_LOG = logging.getLogger('asynet_core.recordings')


class EventFile:
    """An open event file: its header (:attr:`info`) and a stream of its events.

    Use as a context manager (``with open_event_file(path) as f: ...``) or call :meth:`close`.

    Attributes:
        info: what the header says (format, sensor size and where it came from, header lines).
        time_order: how often times stepped back in the events read so far (reset by each new
            pass of :meth:`chunks`).
        salvage: ``None`` when the file reads whole; else a :class:`FileSalvage` saying why
            reading stops early and what is lost (a RAW file cut inside a word: the events of the
            whole words are read, the cut bytes are not; ``events_read`` is that of the last
            complete pass). Each pass that ends early logs one warning on the
            ``asynet_core.recordings`` logger.
    """

    def __init__(
        self, info: EventFileInfo, stream: BinaryIO, payload: tuple[int, int], decoder: WordDecoder
    ) -> None:
        """Wrap an opened file; use :func:`open_event_file` instead.

        Args:
            info: the parsed header.
            stream: the file, opened in binary mode; closed by :meth:`close`.
            payload: (byte offset of the first word, number of whole words).
            decoder: the format's decoder (reset at the start of each pass).
        """
        self.info = info
        self.time_order = TimeOrder()
        self._stream = stream
        self._offset, self._words = payload
        self._decoder = decoder
        self.salvage: FileSalvage | None = self._cut_word(stream)

    def _cut_word(self, stream: BinaryIO) -> FileSalvage | None:
        """The salvage of a file whose payload ends inside a word, else None."""
        size = self._decoder.word_dtype.itemsize
        try:
            cut = stream.seek(0, 2) - self._offset - self._words * size
        except OSError as err:
            raise EventFileError(f'{self.info.path}: cannot read file: {err}') from err
        if cut <= 0:
            return None
        reason = (
            f'truncated {self.info.format} file: it ends {cut} bytes into a {size}-byte word '
            '(the recording was cut off)'
        )
        return FileSalvage(reason, 0, cut)

    @property
    def skipped_before_time(self) -> int:
        """CD events of the last pass skipped because no time was known yet (RAW files only).

        EVT 2.x and 3.0 words carry only the low bits of the time; the events before the first
        time-high word (EVT 3.0: time-high and time-low) have no time and are skipped.
        """
        return int(self._decoder.skipped_before_time)

    def chunks(self, max_events: int = 1 << 20) -> Iterator[np.ndarray]:
        """Yield the events in file order, at most ``max_events`` at a time.

        Each call starts a new pass from the first event (decoder state and :attr:`time_order`
        reset). Memory stays bounded by ``max_events`` whatever the file size.

        Args:
            max_events: the largest chunk, >= 1.

        Yields:
            non-empty arrays of :data:`~asynet_core.events.EVENT_DTYPE`, ``t`` int64 µs.

        Raises:
            EventFileError: a corrupt word (unknown type, named by its byte offset), an event
                outside :attr:`EventFileInfo.sensor`, or a read error.
            ValueError: ``max_events`` < 1.
        """
        if type(max_events) is not int or max_events < 1:
            raise ValueError(f'max_events must be an int >= 1, got {max_events!r}')
        self._decoder.reset()
        self.time_order.reset()
        block = max(1, max_events // self._decoder.max_events_per_word)
        seen = 0
        for first in range(0, self._words, block):
            events = self._decode_block(first, min(block, self._words - first))
            self._check_events(events, seen)
            seen += len(events)
            for start in range(0, len(events), max_events):
                yield events[start : start + max_events]
        if self.salvage is not None:
            self.salvage.events_read = seen
            _LOG.warning('%s', self.salvage.line(self.info.path))

    def _decode_block(self, first: int, count: int) -> np.ndarray:
        """Read and decode ``count`` words from word index ``first`` on."""
        dtype = self._decoder.word_dtype
        try:
            self._stream.seek(self._offset + first * dtype.itemsize)
            data = self._stream.read(count * dtype.itemsize)
        except OSError as err:
            raise EventFileError(f'{self.info.path}: cannot read file: {err}') from err
        if len(data) != count * dtype.itemsize:
            raise EventFileError(
                f'{self.info.path}: the file shrank while being read (word {first + count} of '
                f'{self._words} is missing)'
            )
        try:
            return self._decoder.decode(np.frombuffer(data, dtype=dtype), first)
        except BadWordError as err:
            byte = self._offset + err.word_index * dtype.itemsize
            raise EventFileError(
                f'{self.info.path}: word {err.word_index} (byte offset {byte}, value '
                f'0x{err.word:x}): {err.reason}; the file is corrupt or not {self.info.format} '
                '(check its "% evt"/"% format" header line)'
            ) from err

    def _check_events(self, events: np.ndarray, seen: int) -> None:
        """Raise for an event outside the sensor; update :attr:`time_order`."""
        sensor = self.info.sensor
        outside = np.flatnonzero((events['x'] >= sensor.width) | (events['y'] >= sensor.height))
        if outside.size:
            i = int(outside[0])
            raise EventFileError(
                f'{self.info.path}: event {seen + i} at x={int(events["x"][i])}, '
                f'y={int(events["y"][i])}, t={int(events["t"][i])} us lies outside the '
                f'{sensor.width}x{sensor.height} sensor (size from: {self.info.sensor_source}); '
                'the file is corrupt or the size is wrong: pass the right --width/--height'
            )
        self.time_order.update(events['t'])
        if self.info.format == 'dat' and self._offset == 0 and self.time_order.steps_back:
            back = self.time_order.first_step_back_index
            raise EventFileError(
                f'{self.info.path}: not a DAT file: no "% " header, and event {back} steps '
                'back in time (a headerless legacy DAT file never does)'
            )

    def read_all(self) -> np.ndarray:
        """All events of the file as one array of EVENT_DTYPE (one full pass of :meth:`chunks`)."""
        return concatenate_events(list(self.chunks()))  # keeps EVENT_DTYPE's layout

    def close(self) -> None:
        """Close the file (idempotent)."""
        self._stream.close()

    def __enter__(self) -> EventFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_event_file(path: str | Path, sensor: SensorSize | None = None) -> EventFile:
    """Open an event file and parse its header (no events are read yet).

    The format comes from the suffix (``.raw``: EVT 2.0, 2.1 or 3.0 as the header's ``evt`` or
    ``format`` line says; ``.dat``: Prophesee DAT) and is checked against the header.

    Args:
        path: the file.
        sensor: the sensor size, used only where the file does not say it (no ``format`` /
            ``geometry`` / ``Width``-``Height`` line and no known sensor name). A size that
            contradicts the one the header gives is an error.

    Returns:
        the open :class:`EventFile`.

    Raises:
        EventFileError: unreadable or unknown file, not a regular file (a FIFO, a device, a
            symlink loop), unsupported encoding, corrupt header, no sensor size (pass
            ``--width/--height``), or ``sensor`` contradicts the header.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _OPENERS:
        raise EventFileError(
            f'{path}: unknown event file type {suffix!r}; readable: {", ".join(_OPENERS)}'
        )
    check_regular_file(path)
    try:
        stream = path.open('rb')
    except OSError as err:
        raise EventFileError(f'{path}: cannot open file: {err.strerror}') from err
    try:
        info, payload, decoder = _OPENERS[suffix](path, stream, sensor)
        return EventFile(info, stream, payload, decoder)
    except BaseException:
        stream.close()
        raise


def read_event_file(
    path: str | Path, sensor: SensorSize | None = None
) -> tuple[np.ndarray, EventFileInfo, TimeOrder]:
    """Read a whole event file: ``(events, info, time_order)``; see :func:`open_event_file`."""
    with open_event_file(path, sensor) as f:
        events = f.read_all()
        return events, f.info, f.time_order
