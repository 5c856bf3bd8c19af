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

"""Export a training checkpoint as a small inference checkpoint (model and metadata only).

Run::

    python training/export.py --checkpoint runs/synthetic_cls/best.pt --out demo.pt --note "..."

The result holds ``model_args`` and the weights (so a path alone rebuilds the model), the
epoch and best validation score, the training config and a free-text note; no optimizer.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import dataclasses
from pathlib import Path
import sys
from typing import Any, TYPE_CHECKING

if __package__ in (None, ''):  # run as a script: python training/export.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asynet_core.cli import add_debug_option, check_output_file, run_command

if TYPE_CHECKING:
    from asynet_core.window import WindowSpec

# asynet_core.models imports torch and spconv: imported where used, after the arguments are
# parsed, so that `export.py --help` and a usage error answer at once.

__all__ = ['export', 'main', 'trained_window']

KEPT = ('epoch', 'best', 'train_config')


def trained_window(extra: dict[str, Any]) -> WindowSpec:
    """The window an older checkpoint (no ``window`` in its model args) was trained with.

    Read from its training config (``train_config['data']``); 25 000 events if it says nothing.
    """
    from asynet_core.models.config import DEFAULT_WINDOW
    from asynet_core.window import WindowSpec

    data = extra.get('train_config', {}).get('data', {}) if isinstance(extra, dict) else {}
    events, micros = data.get('window_events'), data.get('window_us')
    if _is_int(micros) and micros > 0 and events is None:
        return WindowSpec(us=int(micros))
    if _is_int(events) and events > 0:
        return WindowSpec(events=int(events))
    return DEFAULT_WINDOW


def export(checkpoint: Path, out: Path, note: str = '', *, overwrite: bool = False) -> None:
    """Write the inference checkpoint ``out`` from the training checkpoint ``checkpoint``.

    The model args always carry the window (older checkpoints: :func:`trained_window`); an empty
    ``note`` keeps the checkpoint's own.

    Raises:
        OutputError: ``out`` is not a regular file, or exists and ``overwrite`` is false.
        CheckpointError: ``checkpoint`` is missing, unsafe or has non-finite weights.
    """
    from asynet_core.models import load_checkpoint, save_checkpoint

    check_output_file(out, overwrite=overwrite)  # before loading anything
    loaded = load_checkpoint(checkpoint)
    extra = {key: loaded.extra[key] for key in KEPT if key in loaded.extra}
    config = loaded.config
    if config.window is None:
        config = dataclasses.replace(config, window=trained_window(loaded.extra))
        loaded.model.config = config  # metadata only: the architecture is the same
    out.parent.mkdir(parents=True, exist_ok=True)
    note = note or str(loaded.extra.get('note', ''))
    save_checkpoint(out, loaded.model, config, note=note, **extra)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog='export.py', description=__doc__.split('\n')[0])
    parser.add_argument('--checkpoint', required=True, type=Path)
    parser.add_argument('--out', required=True, type=Path)
    parser.add_argument('--note', default='', help='how the checkpoint was made')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing --out file')
    add_debug_option(parser)
    args = parser.parse_args(argv)

    def work() -> int:
        export(args.checkpoint, args.out, args.note, overwrite=args.overwrite)
        return 0

    return run_command('export.py', work, debug=args.debug)


if __name__ == '__main__':
    sys.exit(main())
