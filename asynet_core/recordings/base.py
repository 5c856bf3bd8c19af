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

"""The error, the file description and the time-order report shared by every event-file reader."""

from __future__ import annotations

from dataclasses import dataclass, field
import errno
import os
from pathlib import Path
import stat

import numpy as np

from asynet_core.errors import AsynetError
from asynet_core.events import SensorSize

__all__ = [
    'SENSOR_SOURCES',
    'EventFileError',
    'EventFileInfo',
    'FileSalvage',
    'TimeOrder',
    'check_regular_file',
]

#: Where :attr:`EventFileInfo.sensor` came from, most trusted first.
SENSOR_SOURCES = ('header', 'sensor name', 'given', 'extent')


class EventFileError(AsynetError, ValueError):
    """An event file is unreadable, of an unknown or unsupported format, corrupt, or gives no size.

    The message names the file and, for a corrupt payload, the byte or word offset of the first
    bad word, and says what to do (e.g. pass ``--width/--height`` when the file has no size).
    """


def check_regular_file(path: Path) -> None:
    """Refuse, before opening it, a path that is not a regular file (or a link to one).

    A FIFO or a character device would block or never end when read; a symlink loop or a dangling
    link would otherwise read as a missing file.

    Raises:
        EventFileError: the path is missing, a dangling link, a symlink loop, a directory, a FIFO,
            a device or a socket.
    """
    try:
        mode = path.stat().st_mode
    except OSError as err:
        raise EventFileError(f'{path}: {_stat_problem(path, err)}') from err
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), 'not a regular file')
        raise EventFileError(
            f'{path}: is {kind}, not a regular file; event files are read from regular files '
            '(copy the data into a file first)'
        )


_KINDS = {
    stat.S_IFDIR: 'a directory',
    stat.S_IFIFO: 'a FIFO (named pipe)',
    stat.S_IFCHR: 'a character device',
    stat.S_IFBLK: 'a block device',
    stat.S_IFSOCK: 'a socket',
}


def _stat_problem(path: Path, err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return 'is a symlink loop (the links point at each other); fix or remove the links'
    if path.is_symlink():
        return f'is a dangling symlink (to {os.readlink(path)}, which does not exist)'
    return f'cannot open file: {err.strerror}'


@dataclass
class FileSalvage:
    """How much of a damaged (truncated or corrupt) event file was read.

    The keys of :meth:`to_dict` mirror those of a damaged bag's salvage report
    (:class:`asynet_ros.bag_salvage.Salvage`) where they apply.

    Attributes:
        reason: why reading stopped early (the problem, e.g. a cut word or an undecodable packet).
        events_read: events read before the damage (in the last pass).
        bytes_unread: bytes of the file after the last good word or packet.
    """

    reason: str
    events_read: int = 0
    bytes_unread: int = 0

    def line(self, path: Path) -> str:
        """One line for a log or a report."""
        return (
            f'event file {path} is damaged ({self.reason}): read {self.events_read} events up '
            f'to the last good data, {self.bytes_unread} bytes unread'
        )

    def to_dict(self) -> dict[str, object]:
        """The figures, for a JSON report."""
        return {
            'reason': self.reason,
            'events_read': self.events_read,
            'bytes_unread': self.bytes_unread,
        }


@dataclass(frozen=True)
class EventFileInfo:
    """What the header of an event file says.

    Attributes:
        path: the file.
        format: ``'dat'``, ``'evt2'``, ``'evt2.1'`` or ``'evt3'``.
        sensor: the sensor size every event lies inside.
        sensor_source: where ``sensor`` came from: ``'header'`` (a ``format``/``geometry`` line or
            DAT ``Width``/``Height``), ``'sensor name'`` (a known sensor or plugin name in the
            header, see :data:`~asynet_core.recordings.KNOWN_SENSORS`), ``'given'`` (the caller's
            size) or ``'extent'`` (DAT only: the largest x and y seen, plus one).
        header: the header's ``% key value`` lines as {key: value}, in file order.
    """

    path: Path
    format: str  # noqa: A003 (the public field name of the API)
    sensor: SensorSize
    sensor_source: str
    header: dict[str, str] = field(default_factory=dict)


@dataclass
class TimeOrder:
    """How often event times step back, filled while a file is read.

    Attributes:
        steps_back: number of events whose ``t`` is below the previous event's ``t``.
        largest_step_back_us: the largest such drop, ``t[i-1] - t[i]``, in µs (0 if none).
        first_step_back_index: index in the file (0-based, over all events read) of the first
            event that steps back, or ``None``.
    """

    steps_back: int = 0
    largest_step_back_us: int = 0
    first_step_back_index: int | None = None
    _last_t_us: int | None = field(default=None, init=False, repr=False, compare=False)
    _seen: int = field(default=0, init=False, repr=False, compare=False)

    def update(self, t_us: np.ndarray) -> None:
        """Account for the next events of the file, ``t_us`` (int64 µs, file order)."""
        if t_us.size == 0:
            return
        t = t_us.astype(np.int64, copy=False)
        before = t[0] if self._last_t_us is None else self._last_t_us
        drop = np.concatenate(([before], t[:-1])) - t  # previous t minus this t
        back = np.flatnonzero(drop > 0)
        if back.size:
            if self.first_step_back_index is None:
                self.first_step_back_index = self._seen + int(back[0])
            self.steps_back += int(back.size)
            self.largest_step_back_us = max(self.largest_step_back_us, int(drop[back].max()))
        self._last_t_us = int(t[-1])
        self._seen += int(t.size)

    def reset(self) -> None:
        """Forget everything: a new pass over the file starts."""
        self.steps_back = self.largest_step_back_us = self._seen = 0
        self.first_step_back_index = self._last_t_us = None

    def to_dict(self) -> dict[str, int | None]:
        """The three counters as a dict, for a JSON report."""
        return {
            'steps_back': self.steps_back,
            'largest_step_back_us': self.largest_step_back_us,
            'first_step_back_index': self.first_step_back_index,
        }
