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

"""``python training/evaluate.py``: runs :mod:`asynet_training.evaluate` from a source checkout.

The training library is installed as ``asynet_training`` (a generic top-level name such as
``training`` would collide in site-packages); this folder only keeps the documented commands.
"""

from pathlib import Path
import sys


def _main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the source checkout
    from asynet_training.evaluate import main

    return main()


if __name__ == '__main__':
    sys.exit(_main())
