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

"""Imports go one way: asynet_core never pulls in ROS, the node package or the training tools."""

import subprocess
import sys
import textwrap

import pytest

from checkout import ROOT

FORBIDDEN = ('rclpy', 'training', 'asynet_training', 'asynet_ros', 'asynet_benchmarks')

# Runs in a fresh interpreter (the forbidden top-level names are its arguments), so that nothing
# imported by pytest or by other tests is counted.
PROBE = textwrap.dedent(
    """
    import importlib
    import pkgutil
    import sys

    package = importlib.import_module(sys.argv[1])

    def fail(name):
        raise ImportError(f'cannot import {name}')

    modules = [sys.argv[1]]
    for info in pkgutil.walk_packages(package.__path__, sys.argv[1] + '.', onerror=fail):
        if info.name.endswith('.__main__'):  # a script: importing it runs it
            continue
        importlib.import_module(info.name)
        modules.append(info.name)
    forbidden = sorted(name for name in sys.modules if name.split('.')[0] in sys.argv[2:])
    print('imported:', ' '.join(modules))
    print('forbidden:', ' '.join(forbidden))
    sys.exit(1 if forbidden else 0)
    """
)


def _probe(package: str, forbidden: tuple[str, ...]) -> None:
    """Import every module of ``package`` in a fresh interpreter; none of ``forbidden`` loads."""
    cmd = [sys.executable, '-c', PROBE, package, *forbidden]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f'importing every {package} module failed:\n{output}', pytrace=False)
    assert f'imported: {package}' in result.stdout, output


def test_asynet_core_imports_no_ros_nor_training() -> None:
    _probe('asynet_core', FORBIDDEN)


@pytest.mark.usefixtures('ros2')  # asynet_ros.node needs rclpy (make install adds it)
def test_the_ros_adapter_never_imports_training_nor_the_tools() -> None:
    _probe('asynet_ros', ('training', 'asynet_training', 'asynet_tools', 'asynet_benchmarks'))


def test_training_never_imports_the_ros_side_nor_the_tools() -> None:
    _probe('asynet_training', ('rclpy', 'asynet_ros', 'asynet_tools', 'asynet_benchmarks'))


def test_every_error_class_of_the_project_has_one_root() -> None:
    """Callers catch ``AsynetError`` once: the core's, the ROS side's and the datasets' errors."""
    import importlib
    import inspect
    import pkgutil

    from asynet_core.errors import AsynetError

    found = []
    for package in ('asynet_core', 'asynet_ros', 'asynet_training'):
        root = importlib.import_module(package)
        names = [package] + [i.name for i in pkgutil.walk_packages(root.__path__, package + '.')]
        for name in names:
            if name.split('.')[-1] in ('node', 'ros_params', '__main__'):
                continue  # rclpy-only modules; script entry points
            module = importlib.import_module(name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, Exception) and cls.__module__ == name:
                    found.append(cls)
    assert len(found) >= 15
    assert [c.__qualname__ for c in found if not issubclass(c, AsynetError)] == []
