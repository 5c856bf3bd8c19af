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
from pathlib import Path
import sys

if __package__ in (None, ''):  # run as a script: python training/export.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asynet_core.models import load_checkpoint, save_checkpoint

__all__ = ['export', 'main']

KEPT = ('epoch', 'best', 'train_config')


def export(checkpoint: Path, out: Path, note: str = '') -> None:
    """Write the inference checkpoint ``out`` from the training checkpoint ``checkpoint``."""
    loaded = load_checkpoint(checkpoint)
    extra = {key: loaded.extra[key] for key in KEPT if key in loaded.extra}
    out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(out, loaded.model, loaded.config, note=note, **extra)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog='export.py', description=__doc__.split('\n')[0])
    parser.add_argument('--checkpoint', required=True, type=Path)
    parser.add_argument('--out', required=True, type=Path)
    parser.add_argument('--note', default='', help='how the checkpoint was made')
    args = parser.parse_args(argv)
    export(args.checkpoint, args.out, args.note)
    return 0


if __name__ == '__main__':
    sys.exit(main())
