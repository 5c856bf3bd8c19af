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

"""What this checkout has: its root, ``../shared/data`` beside it, its C++ extension (not a test).

Tests find the project's files (``config/``, ``launch/``, the bundled models) from :data:`ROOT`
and the real recordings from :data:`SHARED_DATA`, whatever the depth of the test file. The
fixtures of ``conftest.py`` (``shared_data``, ``real_data``, ``real_bag``, ``cpp_ext``) skip with
the reason where something is missing; :func:`require_cpp_ext` does it for a whole module.
"""

import os
from pathlib import Path
from types import ModuleType

import pytest

#: The repository (package) root: the parent of ``test/`` (this file is in ``test/helpers/``).
ROOT = Path(__file__).resolve().parents[2]
#: The small real recordings every engineer and CI have beside the project (may be absent).
SHARED_DATA = ROOT.parent / 'shared' / 'data'


def require_cpp_ext() -> ModuleType:
    """``asynet_core_cpp._ext``, the compiled kernels; skips the caller where they are not built.

    Under ``ASYNET_REQUIRE_CPP=1`` (``make test``) a missing extension fails instead: a broken
    build must not hide behind the skip. Called at module level it skips or fails the whole module.
    """
    try:
        from asynet_core_cpp import _ext
    except ImportError as err:
        if os.environ.get('ASYNET_REQUIRE_CPP') == '1':
            pytest.fail(
                f'ASYNET_REQUIRE_CPP=1 but asynet_core_cpp._ext did not import: {err}',
                pytrace=False,
            )
        pytest.skip(
            f'asynet_core_cpp._ext is not built ({err}); build it with '
            '.venv/bin/python setup.py build_ext --inplace',
            allow_module_level=True,
        )
    return _ext
