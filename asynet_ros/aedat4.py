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

"""iniVation AEDAT4 files (DV recordings of DAVIS / DVXplorer cameras) as an event file.

Optional: decoding goes through the PyPI ``aedat`` package (``pip install asynet_ros[aedat]``),
which :mod:`asynet_core` may not import, so the reader lives here. :func:`open_aedat4` returns an
:class:`Aedat4File`, an :class:`~asynet_core.recordings.EventFile` with the same interface
(``info``, ``time_order``, ``chunks``, ``read_all``, ``close``, context manager).

* The sensor size is the width/height that the file's IOHeader gives its event stream
  (``sensor_source='header'``); a ``sensor`` argument that contradicts it is an error.
* Only the first event stream (lowest stream id) is read; ``info.header`` lists every stream and
  names the event streams left out. Frames, IMU samples, triggers and the events of the other
  event streams are skipped and counted in :attr:`Aedat4File.ignored` for the last pass.
* ``t`` is kept as recorded: AEDAT4 times are µs since the Unix epoch (about 1.7e15 for a recent
  recording), not µs since the start of the recording. Polarity ON is 1, OFF 0.
* Events outside the sensor are an error, as for the other readers; time order is counted in
  :attr:`~asynet_core.recordings.EventFile.time_order` as they do.
* The file is decoded packet by packet, a fresh pass per :meth:`Aedat4File.chunks` call. A
  truncated or corrupt file is read like a damaged bag: the pass yields the events of the whole
  packets before the bad one, then ends; :attr:`Aedat4File.salvage` says why and what was lost,
  and one warning goes to the ``asynet_core.recordings`` logger.
* The ``aedat`` decoder is written in Rust: on some corrupt input it panics
  (``pyo3_runtime.PanicException``, a BaseException). The panic is caught where the decoder is
  called and turned into an :class:`EventFileError` (header) or a salvage (packet). Rust's panic
  hook still prints one ``thread '<unnamed>' panicked at ...`` line on stderr: the hook belongs
  to the extension and cannot be replaced from Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import logging
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from asynet_core.errors import ConfigError
from asynet_core.events import concatenate_events, EVENT_DTYPE, SensorSize
from asynet_core.recordings import (
    check_regular_file,
    EventFile,
    EventFileError,
    EventFileInfo,
    FileSalvage,
    TimeOrder,
)
from asynet_core.recordings.header import resolve_sensor

__all__ = ['AEDAT4_FORMAT', 'AEDAT4_MAGIC', 'IGNORED_KINDS', 'Aedat4File', 'open_aedat4']

#: :attr:`EventFileInfo.format` of an AEDAT4 file.
AEDAT4_FORMAT = 'aedat4'
#: The first bytes of every AEDAT 4.0 file.
AEDAT4_MAGIC = b'#!AER-DAT4.0\r\n'
#: Keys of :attr:`Aedat4File.ignored`: what a pass skips.
IGNORED_KINDS = ('frames', 'imu_samples', 'triggers', 'other_stream_events')
_PACKET_KINDS = {'frame': 'frames', 'imus': 'imu_samples', 'triggers': 'triggers'}
_INT64_MAX = np.iinfo(np.int64).max
_INSTALL = 'pip install aedat (or pip install asynet_ros[aedat])'
_DECODE_ERRORS = (RuntimeError, ValueError, OSError)
_LOG = logging.getLogger('asynet_core.recordings')
_T = TypeVar('_T')


class Aedat4File(EventFile):
    """An open AEDAT4 file: its first event stream as an :class:`EventFile`.

    Built by :func:`open_aedat4`. It holds no open file between passes: each pass of
    :meth:`chunks` opens its own ``aedat.Decoder``.

    Attributes:
        info: format ``'aedat4'``, the event stream's size, and ``header`` describing the streams.
        time_order: how often times stepped back in the events read so far (reset per pass).
        ignored: per :data:`IGNORED_KINDS`, how many frames, IMU samples, triggers and events of
            other event streams the last pass skipped.
        stream_id: the id of the event stream read.
        salvage: ``None`` when the last pass read the file whole; else why it stopped early (a
            truncated or corrupt packet), the events read and the bytes left unread.
    """

    def __init__(self, info: EventFileInfo, aedat: Any, stream_id: int) -> None:
        """Wrap an opened file; use :func:`open_aedat4` instead.

        Args:
            info: the file's description.
            aedat: the imported ``aedat`` module.
            stream_id: the event stream to read.
        """
        # The base class wraps a RAW/DAT byte stream and its word decoder; none of that applies.
        self.info = info
        self.time_order = TimeOrder()
        self.ignored = dict.fromkeys(IGNORED_KINDS, 0)
        self.stream_id = stream_id
        self.salvage: FileSalvage | None = None
        self._aedat = aedat
        self._closed = False

    @property
    def skipped_before_time(self) -> int:
        """Always 0: every AEDAT4 event carries its full time."""
        return 0

    def chunks(self, max_events: int = 1 << 20) -> Iterator[np.ndarray]:
        """Yield the events of the event stream in file order, at most ``max_events`` at a time.

        Each call is a new pass from the first packet (:attr:`time_order` and :attr:`ignored`
        reset). Memory stays bounded by ``max_events`` plus one packet.

        Args:
            max_events: the largest chunk, >= 1.

        Yields:
            non-empty arrays of :data:`~asynet_core.events.EVENT_DTYPE`, ``t`` int64 µs since the
            Unix epoch as recorded.

        A truncated or corrupt packet ends the pass after the events of the packets before it
        and sets :attr:`salvage`.

        Raises:
            EventFileError: an event outside the sensor, a time beyond int64, or the file was
                closed.
            ValueError: ``max_events`` < 1.
        """
        if type(max_events) is not int or max_events < 1:
            raise ValueError(f'max_events must be an int >= 1, got {max_events!r}')
        if self._closed:
            raise EventFileError(f'{self.info.path}: the AEDAT4 file is closed; open it again')
        self.time_order.reset()
        self.ignored = dict.fromkeys(IGNORED_KINDS, 0)
        self.salvage = None
        pending: list[np.ndarray] = []
        count = seen = 0
        for events in self._event_packets():
            pending.append(events)
            count += len(events)
            while count >= max_events:
                joined = pending[0] if len(pending) == 1 else concatenate_events(pending)
                out, rest = joined[:max_events], joined[max_events:]
                self._check_events(out, seen)
                seen += len(out)
                yield out
                pending, count = ([rest] if len(rest) else []), len(rest)
        if count:
            out = pending[0] if len(pending) == 1 else concatenate_events(pending)
            self._check_events(out, seen)
            seen += len(out)
            yield out
        if self.salvage is not None:
            self.salvage.events_read = seen
            _LOG.warning('%s', self.salvage.line(self.info.path))

    def _event_packets(self) -> Iterator[np.ndarray]:
        """The event packets of :attr:`stream_id` as EVENT_DTYPE; count everything else."""
        path = self.info.path
        decoder = _open_decoder(self._aedat, path)
        for index, packet in enumerate(_packets(decoder, path, self)):
            if 'events' in packet:
                if packet.get('stream_id') == self.stream_id:
                    if len(packet['events']):
                        yield _to_events(packet['events'], path, index)
                else:
                    self.ignored['other_stream_events'] += len(packet['events'])
                continue
            for key, kind in _PACKET_KINDS.items():
                if key in packet:
                    self.ignored[kind] += 1 if key == 'frame' else len(packet[key])

    def read_all(self) -> np.ndarray:
        """All events of the stream as one array of EVENT_DTYPE (one full pass of :meth:`chunks`).

        Joined with :func:`~asynet_core.events.concatenate_events`, which keeps the padded
        EVENT_DTYPE layout (``np.concatenate`` repacks it).
        """
        return concatenate_events(list(self.chunks()))

    def close(self) -> None:
        """Forget the file (idempotent); a later :meth:`chunks` raises."""
        self._closed = True


def _guarded(call: Callable[[], _T]) -> _T:
    """``call()``, with a Rust panic of the decoder re-raised as a RuntimeError.

    ``pyo3_runtime.PanicException`` derives from BaseException and cannot be imported; it is
    recognised by name so that KeyboardInterrupt and SystemExit still pass through.
    """
    try:
        return call()
    except BaseException as err:
        if type(err).__name__ != 'PanicException':
            raise
        raise RuntimeError(f'the aedat decoder panicked: {err}') from err


def _packets(decoder: Any, path: Path, file: Aedat4File) -> Iterator[dict[str, Any]]:
    """The decoder's packets, up to the first that cannot be decoded (then ``file.salvage``)."""
    index = 0
    while True:
        try:
            packet = _guarded(lambda: next(decoder))
        except StopIteration:
            return
        except _DECODE_ERRORS as err:
            reason = (
                f'AEDAT4 packet {index} cannot be decoded ({err}): the file is truncated (the '
                'recording was cut off) or corrupt; the packets before it were read'
            )
            file.salvage = FileSalvage(reason, 0, _bytes_after_packets(path, index))
            return
        yield packet
        index += 1


def _bytes_after_packets(path: Path, packets: int) -> int:
    """The bytes of the file after its first ``packets`` packets (walking the packet headers).

    An AEDAT4 file is the magic, an int32 IOHeader size and the IOHeader, then packets of an
    int32 stream id, an int32 size and that many bytes.
    """
    try:
        with path.open('rb') as stream:
            size = stream.seek(0, 2)
            stream.seek(len(AEDAT4_MAGIC))
            offset = len(AEDAT4_MAGIC) + 4 + int.from_bytes(stream.read(4), 'little')
            for _ in range(packets):
                stream.seek(offset + 4)
                offset += 8 + int.from_bytes(stream.read(4), 'little')
    except OSError:
        return 0
    return max(size - offset, 0)


def _to_events(raw: np.ndarray, path: Path, packet_index: int) -> np.ndarray:
    """An aedat event array (``t`` u8 µs, ``x``, ``y`` u2, ``p``/``on`` bool) as EVENT_DTYPE."""
    t_us = raw['t']
    if int(t_us.max()) > _INT64_MAX:
        raise EventFileError(
            f'{path}: AEDAT4 packet {packet_index} has an event time {int(t_us.max())} us beyond '
            'int64: the file is corrupt'
        )
    events = np.zeros(len(raw), dtype=EVENT_DTYPE)
    events['t'] = t_us
    events['x'] = raw['x']
    events['y'] = raw['y']
    events['p'] = raw['p']
    return events


def _import_aedat(path: Path) -> Any:
    try:
        import aedat  # optional dependency, imported on use
    except ImportError as err:
        raise EventFileError(
            f'{path}: reading AEDAT4 files needs the optional "aedat" package: {_INSTALL}'
        ) from err
    return aedat


def _open_decoder(aedat: Any, path: Path) -> Any:
    try:
        return _guarded(lambda: aedat.Decoder(str(path)))
    except _DECODE_ERRORS as err:
        raise EventFileError(
            f'{path}: cannot read the AEDAT4 header ({err}): the file is truncated or corrupt; '
            'check that DV finished writing it'
        ) from err


def _check_magic(path: Path) -> None:
    check_regular_file(path)
    try:
        with path.open('rb') as stream:
            head = stream.read(len(AEDAT4_MAGIC))
    except OSError as err:
        raise EventFileError(f'{path}: cannot open file: {err.strerror}') from err
    if head != AEDAT4_MAGIC:
        raise EventFileError(
            f'{path}: not an AEDAT 4.0 file (it does not start with "#!AER-DAT4.0"); older '
            'AEDAT 2/3 recordings (jAER, cAER) are not read: convert them to AEDAT4 with DV'
        )


def _stream_text(stream_id: int, stream: dict[str, Any]) -> str:
    kind = str(stream.get('type', '?'))
    if 'width' in stream and 'height' in stream:
        return f'{stream_id}: {kind} {stream["width"]}x{stream["height"]}'
    return f'{stream_id}: {kind}'


def _header(streams: dict[int, dict[str, Any]], event_ids: list[int]) -> dict[str, str]:
    """``info.header``: every stream, the one read, those left out, and the time base."""
    header = {
        'streams': ', '.join(_stream_text(i, streams[i]) for i in sorted(streams)),
        'event_stream': str(event_ids[0]),
        'time': 'us since the Unix epoch, as recorded',
    }
    if len(event_ids) > 1:
        header['ignored_event_streams'] = ', '.join(str(i) for i in event_ids[1:])
        header['note'] = (
            f'{len(event_ids)} event streams: only the first (id {event_ids[0]}) is read'
        )
    return header


def _stream_sensor(path: Path, stream_id: int, stream: dict[str, Any]) -> SensorSize | None:
    width, height = stream.get('width'), stream.get('height')
    if width is None or height is None:
        return None
    try:
        return SensorSize(int(width), int(height))
    except ConfigError as err:
        raise EventFileError(
            f'{path}: AEDAT4 event stream {stream_id} has an impossible size {width}x{height} '
            f'({err}); the header is corrupt'
        ) from err


def open_aedat4(path: str | Path, sensor: SensorSize | None = None) -> Aedat4File:
    """Open an AEDAT4 file and read its header (no events are read yet).

    Args:
        path: the ``.aedat4`` file.
        sensor: the sensor size, used only if the event stream gives none; a size that
            contradicts the stream's is an error.

    Returns:
        the open :class:`Aedat4File` (see the module docstring).

    Raises:
        EventFileError: the ``aedat`` package is missing (``pip install aedat``), the file cannot
            be opened or is not a regular file, is not AEDAT 4.0, has a truncated or corrupt
            header, has no event stream, gives no size and none was given, or ``sensor``
            contradicts it.
    """
    path = Path(path)
    aedat = _import_aedat(path)
    _check_magic(path)
    decoder = _open_decoder(aedat, path)
    try:
        streams = _guarded(decoder.id_to_stream)
    except _DECODE_ERRORS as err:
        raise EventFileError(
            f'{path}: cannot read the AEDAT4 header ({err}): the file is corrupt'
        ) from err
    event_ids = sorted(i for i, s in streams.items() if s.get('type') == 'events')
    if not event_ids:
        listed = ', '.join(_stream_text(i, streams[i]) for i in sorted(streams)) or 'none'
        raise EventFileError(
            f'{path}: the AEDAT4 file has no event stream (streams: {listed}); record events '
            'with DV to read it here'
        )
    size = _stream_sensor(path, event_ids[0], streams[event_ids[0]])
    line = f'event stream {event_ids[0]}'
    resolved = resolve_sensor(path, None if size is None else (size, line), None, sensor)
    if resolved is None:
        raise EventFileError(
            f'{path}: AEDAT4 event stream {event_ids[0]} gives no size; pass --width/--height '
            '(sensor=SensorSize(width, height))'
        )
    info = EventFileInfo(
        path, AEDAT4_FORMAT, resolved[0], resolved[1], _header(streams, event_ids)
    )
    return Aedat4File(info, aedat, event_ids[0])
