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

"""Package metadata: package.xml, setup.py, setup.cfg and the console scripts agree and resolve."""

import ast
import importlib
from pathlib import Path
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from checkout import ROOT

PACKAGE = 'asynet_ros'


def _manifest() -> ET.Element:
    return ET.parse(ROOT / 'package.xml').getroot()


def _setup_keyword(name: str) -> object:
    """Return the value of keyword ``name`` in setup.py's ``setup(...)`` call.

    The value must be a literal or a module-level constant assigned a literal.
    """
    tree = ast.parse((ROOT / 'setup.py').read_text(encoding='utf-8'))
    constants = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'setup':
            for keyword in node.keywords:
                if keyword.arg == name:
                    value = keyword.value
                    if isinstance(value, ast.Name):
                        value = constants[value.id]
                    return ast.literal_eval(value)
    raise LookupError(f'setup.py passes no {name}= to setup()')


def _console_scripts() -> dict[str, str]:
    entry_points = _setup_keyword('entry_points')
    assert isinstance(entry_points, dict)
    scripts = {}
    for line in entry_points['console_scripts']:
        name, target = (part.strip() for part in line.split('='))
        scripts[name] = target
    return scripts


def test_package_xml_is_format_3_ament_python() -> None:
    manifest = _manifest()
    assert manifest.get('format') == '3'
    assert manifest.findtext('name') == PACKAGE
    assert manifest.findtext('license') == 'Apache-2.0'
    assert manifest.findtext('export/build_type') == 'ament_python'


def test_package_xml_maintainer_email_is_valid() -> None:
    # An invalid email makes colcon treat the directory as a plain Python package.
    maintainer = _manifest().find('maintainer')
    assert maintainer is not None
    assert re.fullmatch(r'[\w.+-]+@[\w-]+(\.[\w-]+)+', maintainer.get('email', ''))


def test_versions_and_names_agree() -> None:
    assert _setup_keyword('name') == PACKAGE
    assert _setup_keyword('version') == _manifest().findtext('version')


def test_ament_index_marker_and_script_dir() -> None:
    assert (ROOT / 'resource' / PACKAGE).is_file()
    setup_cfg = (ROOT / 'setup.cfg').read_text(encoding='utf-8')
    assert f'script_dir=$base/lib/{PACKAGE}' in setup_cfg
    assert f'install_scripts=$base/lib/{PACKAGE}' in setup_cfg


def test_pytest_is_a_declared_test_dependency() -> None:
    # colcon test runs pytest only when setup.py declares it; otherwise it runs nothing.
    extras = _setup_keyword('extras_require')
    assert isinstance(extras, dict)
    assert any(req.split('>')[0].split('<')[0].split('=')[0] == 'pytest' for req in extras['test'])


@pytest.mark.parametrize('script', sorted(_console_scripts()))
def test_console_script_target_is_importable(script: str) -> None:
    module_name, _, attribute = _console_scripts()[script].partition(':')
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name in ('rclpy', 'rcl_interfaces'):
            pytest.skip(f'console script {script!r} needs ROS 2 ({err.name} is not installed)')
        hint = ''
        if module_name.startswith('asynet_benchmarks'):
            hint = ' (asynet_benchmarks is benchmarks/ once installed: make, colcon build)'
        pytest.fail(f'console script {script!r}: {err}{hint}', pytrace=False)
    assert callable(getattr(module, attribute, None)), f'{module_name}.{attribute} is not callable'


def test_colcon_classifies_package_as_ament_python() -> None:
    venv_bin = str(Path(sys.executable).parent)
    colcon = shutil.which('colcon', path=venv_bin) or shutil.which('colcon')
    if colcon is None:
        pytest.skip('colcon is not installed')
    cmd = [colcon, '--log-base', '/dev/null', 'list', '--base-paths', str(ROOT)]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(rf'^{PACKAGE}\s.*\(ros\.ament_python\)$', result.stdout, re.MULTILINE), (
        result.stdout + result.stderr
    )


#: Console scripts whose --help and argument errors come before any heavy import (issue 15:
#: every command answers at once). ``detector``, the rclpy node, takes ROS 2 arguments instead.
FAST_SCRIPTS = ('asynet-replay', 'asynet-replay-compare', 'asynet-detect', 'asynet-events',
                'asynet-bag2dataset', 'asynet-play', 'asynet-flops', 'asynet-bench',
                'asynet-train')  # fmt: skip
NOT_FAST = {'detector'}
#: The commands run from a source checkout: ``python training/X.py``, ``python -m M``.
FAST_PATHS = ('training/train.py', 'training/evaluate.py', 'training/export.py')
FAST_MODULES = ('asynet_training.synthetic',)
#: Modules that take from 0.1 s to seconds to import: none before the arguments are parsed.
HEAVY_MODULES = ('torch', 'spconv', 'rosbags', 'cyclonedds', 'matplotlib', 'tqdm', 'PIL',
                 'asynet_core.models')  # fmt: skip
#: An argument error in every command: argparse exits with status 2 before doing anything.
ARGUMENT_ERROR = '--no-such-option'


def _heavy_after(call: str, arg: str) -> tuple[int | None, list[str]]:
    """The exit status of ``call`` with ``sys.argv[1:] == [arg]`` and the heavy modules imported.

    ``call`` is code that runs a command; it runs in a fresh interpreter.
    """
    code = (
        f'import sys\nsys.argv[1:] = [{arg!r}]\ncode = None\ntry:\n    {call}\n'
        'except SystemExit as exit_:\n    code = exit_.code\n'
        f'print(code, [m for m in {HEAVY_MODULES!r} if m in sys.modules])'
    )
    done = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    status, _, modules = done.stdout.strip().splitlines()[-1].partition(' ')
    return (None if status == 'None' else int(status)), ast.literal_eval(modules)


def _calls() -> list[tuple[str, str]]:
    """(test id, code that runs the command) for every command that must answer at once."""
    calls = []
    for script in FAST_SCRIPTS:
        module, func = _console_scripts()[script].split(':')
        calls.append((script, f'from {module} import {func}; {func}()'))
    for path in FAST_PATHS:
        calls.append(
            (path, f"import runpy; runpy.run_path({str(ROOT / path)!r}, run_name='__main__')")
        )
    for module in FAST_MODULES:
        calls.append(
            (
                f'-m {module}',
                f"import runpy; runpy.run_module({module!r}, run_name='__main__', alter_sys=True)",
            )
        )
    return calls


def test_every_console_script_is_checked_for_a_fast_start() -> None:
    assert set(_console_scripts()) == set(FAST_SCRIPTS) | NOT_FAST


@pytest.mark.parametrize('arg', ['--help', ARGUMENT_ERROR])
@pytest.mark.parametrize(('command', 'call'), _calls(), ids=[name for name, _ in _calls()])
def test_command_answers_before_heavy_imports(command: str, call: str, arg: str) -> None:
    status, heavy = _heavy_after(call, arg)
    assert status == (0 if arg == '--help' else 2), f'{command} {arg}: exit status {status}'
    assert heavy == [], f'{command} {arg} imported {heavy} before answering'


def test_startup_benchmark_times_every_console_script() -> None:
    # benchmarks/cli_startup.py reads the installed entry points: they must be setup.py's.
    from asynet_benchmarks import cli_startup

    expected = {
        name: target for name, target in _console_scripts().items() if name in FAST_SCRIPTS
    }
    assert cli_startup.console_scripts() == expected
    assert set(cli_startup.NOT_TIMED) == NOT_FAST
