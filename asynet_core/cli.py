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

"""What every console script does around its work: one-line errors, exit codes and signals.

::

    def main(argv=None) -> int:
        args = parser().parse_args(argv)     # usage errors: argparse's exit code 2
        return run_command('asynet-x', lambda: work(args), debug=args.debug)

* bad input (an :class:`~asynet_core.errors.AsynetError`, an ``OSError`` such as a missing file
  or a full disk, a ``ValueError`` from a library's parser, a ``MemoryError``) prints one line
  ``prog: error: ...`` naming the problem and returns :data:`EXIT_BAD_INPUT` (2); ``--debug``
  (:func:`add_debug_option`) adds the traceback;
* SIGINT and SIGTERM raise :class:`Interrupted` (a ``KeyboardInterrupt``) in the main thread, so
  ``with`` blocks and ``finally`` clauses close what the work opened (an output bag gets its
  metadata, a report says it is partial); the command then returns :data:`EXIT_INTERRUPTED`;
* standard output closed by its reader (``asynet-events stats BAG | head -3``) ends the command
  quietly with :data:`EXIT_BROKEN_PIPE`;
* anything else is a bug: its traceback is printed as Python would.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Iterator
import contextlib
import errno
import json
import os
from pathlib import Path
import select
import shutil
import signal
import sys
import threading
import traceback
from typing import Any, BinaryIO

from asynet_core.errors import AsynetError

__all__ = [
    'EXIT_BAD_INPUT',
    'EXIT_BROKEN_PIPE',
    'EXIT_INTERRUPTED',
    'Interrupted',
    'OutputError',
    'add_debug_option',
    'atomic_file',
    'check_output_file',
    'deferred_interrupts',
    'describe_error',
    'existing_outputs',
    'interrupts_raise',
    'new_files_removed_on_error',
    'remove_outputs',
    'run_command',
    'write_atomically',
    'write_json',
]

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report an interrupted command
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as shells report a writer whose reader left

#: The errors that mean bad input or a bad environment, not a bug.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (AsynetError, OSError, ValueError, MemoryError)


class OutputError(AsynetError, ValueError):
    """An output path cannot take the output (a folder, a device, no such parent folder)."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def add_debug_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--debug``: print the traceback of an error too."""
    parser.add_argument(
        '--debug', action='store_true', help='print the traceback of an error, not only its line'
    )


def describe_error(err: BaseException) -> str:
    """One line naming the problem: an OSError's reason and path, else the error's message."""
    if isinstance(err, OSError) and err.strerror:
        paths = [str(p) for p in (err.filename, err.filename2) if p is not None]
        return f'{err.strerror}: {" -> ".join(paths)}' if paths else err.strerror
    if isinstance(err, MemoryError):
        return f'out of memory{": " + str(err) if str(err) else ""}'
    text = str(err) or type(err).__name__
    return ' '.join(text.split())  # one line


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_deferral = {'depth': 0, 'pending': 0}  # inside deferred_interrupts, and a signal held back


def _raise_once(signum: int) -> None:
    """Raise :class:`Interrupted`; later signals are ignored so the cleanup it starts finishes."""
    for s in _STOP_SIGNALS:
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


@contextlib.contextmanager
def interrupts_raise() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only).

    Only the first signal raises: the ``with`` blocks and ``finally`` clauses it unwinds through
    close files and write partial results, and a second Ctrl-C (or a SIGTERM after it) must not
    cut them short. Inside :func:`deferred_interrupts` the signal waits for the block's end.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        if _deferral['depth']:
            _deferral['pending'] = _deferral['pending'] or signum
            return
        _raise_once(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends (closing a file that must be whole)."""
    _deferral['depth'] += 1
    try:
        yield
    finally:
        _deferral['depth'] -= 1
        signum = _deferral['pending']
        if not _deferral['depth'] and signum:
            _deferral['pending'] = 0
            _raise_once(signum)


def run_command(prog: str, work: Callable[[], int], *, debug: bool = False) -> int:
    """Run ``work`` as console script ``prog``; its exit code, or 2 / 130 (see the module)."""
    try:
        with interrupts_raise():
            return work()
    except KeyboardInterrupt as err:
        name = err.args[0] if isinstance(err, Interrupted) else 'SIGINT'
        print(f'{prog}: interrupted ({name})', file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError as err:
        if not _stdout_closed():
            print(f'{prog}: error: {describe_error(err)}', file=sys.stderr)
            return EXIT_BAD_INPUT
        return EXIT_BROKEN_PIPE  # `cmd | head`: the reader has what it wanted; nothing to say
    except EXPECTED_ERRORS as err:
        if debug:
            traceback.print_exc()
        print(f'{prog}: error: {describe_error(err)}', file=sys.stderr)
        return EXIT_BAD_INPUT


def _stdout_closed() -> bool:
    """Whether standard output is a pipe whose reader went away; then it goes to ``/dev/null``.

    A pipe's write end polls ``POLLERR`` once its read end is closed. Without the redirection,
    the interpreter's own flush at exit would fail again ("Exception ignored ... BrokenPipeError").
    """
    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        broken = any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no real stdout (captured, closed)
        return False
    if broken:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    return broken


def check_output_file(path: str | Path, *, overwrite: bool = True) -> Path:
    """Check, before any work, that a file can be written at ``path``; the path.

    Raises:
        OutputError: ``path`` exists and is not a regular file (a folder, a device such as
            ``/dev/full``, a socket), exists and ``overwrite`` is false, or its folder is not
            writable.
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise OutputError(f'{path} exists and is not a regular file; outputs go to files only')
        if not overwrite:
            raise OutputError(f'{path} exists; pass --overwrite to replace it')
    folder = _existing_parent(path.parent)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f'cannot write {path}: {folder} is not writable')
    return path


@contextlib.contextmanager
def atomic_file(path: Path, *, sync: bool = False) -> Iterator[BinaryIO]:
    """A binary file that becomes ``path`` only once complete; never half a file on an error.

    The data goes to a hidden file beside ``path``, renamed over it at the end (after an
    ``fsync`` with ``sync``); on any error (a full disk) the hidden file is removed and ``path``
    is left as it was.

    Raises:
        OSError: ``path`` exists and is not a regular file, or writing failed; the error names
            ``path`` (a full disk names no file by itself).
    """
    if (path.exists() or path.is_symlink()) and not path.is_file():
        raise OSError(errno.EEXIST, 'exists and is not a regular file', str(path))
    tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    try:
        with tmp.open('wb') as f:
            yield f
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        reason = err.strerror or f'write failed, disk full? ({err})'
        raise OSError(err.errno, reason, str(path)) from err
    finally:
        tmp.unlink(missing_ok=True)


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_file` (synced), creating its folder.

    Raises:
        OutputError: see :func:`check_output_file`.
        OSError: the write itself failed (the message names the path).
    """
    path = check_output_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, sync=True) as f:
        f.write(data)


def existing_outputs(folder: Path, names: Iterable[str]) -> list[str]:
    """Which of a command's output ``names`` are in ``folder`` (dangling links count)."""
    return [name for name in names if (folder / name).exists() or (folder / name).is_symlink()]


def remove_outputs(folder: Path, names: Iterable[str]) -> None:
    """Remove a previous run's outputs (``--overwrite``): exactly ``names``, nothing else.

    A folder goes whole; a link goes itself, never its target.
    """
    for name in existing_outputs(folder, names):
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def new_files_removed_on_error(root: str | Path) -> Iterator[None]:
    """Undo a failed or interrupted writer's work under ``root``: the files it added go.

    Files under ``root`` before the block stay (a file the block replaced keeps its new
    content); the folders the block created go when they are left empty. The error propagates.
    """
    root = Path(root)
    before = _tree(root)
    try:
        yield
    except BaseException:
        after = _tree(root)
        for path in sorted(after - before, key=lambda p: len(p.parts), reverse=True):
            if path.is_dir() and not path.is_symlink():
                with contextlib.suppress(OSError):
                    path.rmdir()  # only when empty: a folder may hold files of before
            else:
                path.unlink(missing_ok=True)
        raise


def _tree(root: Path) -> set[Path]:
    """``root`` and every path under it (empty if it does not exist)."""
    if not root.is_dir():
        return set()
    return {root, *root.rglob('*')}


def write_json(path: str | Path, data: Any) -> None:
    """:func:`write_atomically` of ``data`` as indented JSON."""
    write_atomically(path, (json.dumps(data, indent=2) + '\n').encode('utf-8'))


def _existing_parent(folder: Path) -> Path:
    """``folder``, or its nearest existing ancestor (``mkdir -p`` creates the rest)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f'{folder} is not a folder')
    return folder
