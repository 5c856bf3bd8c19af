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

"""Build the ROS 2 interface packages that no registry carries into a venv with rosidl.

``msg/<package>/msg/*.msg`` (event_camera_msgs, vision_msgs, dvs_msgs) become ament_cmake
packages in ``<venv>/ros_ws/src``, built with colcon + rosidl from the ``ros-jazzy-*`` wheels and
installed into the venv itself (``--merge-install``), after which ``import vision_msgs.msg``
needs no environment variable. Extra package sources (``--extra``, e.g. composition_interfaces
from ../shared/ros2) build alongside.

The wheels' exported CMake targets name the wheel builder's Python and numpy include directories
(``/opt/python/...``); a CMake file injected with ``CMAKE_PROJECT_INCLUDE`` points them at this
interpreter's before CMake checks them (shared/reference/environment.md, "Real ROS 2 from PyPI").

Usage: ``python tools/build_ros_interfaces.py --venv .venv [--only] [--extra DIR ...]``
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import sysconfig

ROOT = Path(__file__).resolve().parents[1]
_TYPE_REF = re.compile(r'^\s*([a-z][a-z0-9_]*)/[A-Z]\w*', re.MULTILINE)

PACKAGE_XML = """<?xml version="1.0"?>
<package format="3">
  <name>{name}</name>
  <version>0.0.0</version>
  <description>{name} interfaces, generated from asynet_ros msg/ definitions</description>
  <maintainer email="maintainers@asynet-ros.dev">asynet_ros maintainers</maintainer>
  <license>Apache-2.0</license>
  <buildtool_depend>ament_cmake</buildtool_depend>
  <buildtool_depend>rosidl_default_generators</buildtool_depend>
{depends}  <exec_depend>rosidl_default_runtime</exec_depend>
  <member_of_group>rosidl_interface_packages</member_of_group>
  <export><build_type>ament_cmake</build_type></export>
</package>
"""

CMAKELISTS = """cmake_minimum_required(VERSION 3.8)
project({name})
find_package(ament_cmake REQUIRED)
find_package(rosidl_default_generators REQUIRED)
{find_packages}rosidl_generate_interfaces(${{PROJECT_NAME}}
{files}
{dependencies})
ament_export_dependencies(rosidl_default_runtime)
ament_package()
"""

# Runs at the end of the top-level directory, when every imported target exists.
INCLUDE_FIX = """cmake_language(DEFER DIRECTORY ${{CMAKE_SOURCE_DIR}} CALL _asynet_fix_includes)
function(_asynet_fix_includes)
  get_property(targets DIRECTORY ${{CMAKE_SOURCE_DIR}} PROPERTY IMPORTED_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(dirs ${{target}} INTERFACE_INCLUDE_DIRECTORIES)
    if(dirs)
      list(TRANSFORM dirs REPLACE "^/opt/python/[^/]+/include/python[0-9.]+$" "{python_include}")
      list(TRANSFORM dirs REPLACE "^/opt/python/.*/numpy/(_core|core)/include$" "{numpy_include}")
      set_target_properties(${{target}} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${{dirs}}")
    endif()
  endforeach()
endfunction()
"""


def package_dependencies(name: str, msg_files: list[Path]) -> list[str]:
    """Other packages whose types ``msg_files`` use (``pkg/Type`` references), sorted."""
    used = {m for f in msg_files for m in _TYPE_REF.findall(f.read_text(encoding='utf-8'))}
    return sorted(used - {name})


def write_package(src: Path, name: str, msg_files: list[Path]) -> Path:
    """Write an ament_cmake + rosidl package ``name`` for ``msg_files`` under ``src``."""
    pkg = src / name
    shutil.rmtree(pkg, ignore_errors=True)
    (pkg / 'msg').mkdir(parents=True)
    for f in msg_files:
        shutil.copy2(f, pkg / 'msg' / f.name)
    deps = package_dependencies(name, msg_files)
    (pkg / 'package.xml').write_text(
        PACKAGE_XML.format(name=name, depends=''.join(f'  <depend>{d}</depend>\n' for d in deps)),
        encoding='utf-8',
    )
    (pkg / 'CMakeLists.txt').write_text(
        CMAKELISTS.format(
            name=name,
            find_packages=''.join(f'find_package({d} REQUIRED)\n' for d in deps),
            files='\n'.join(f'  "msg/{f.name}"' for f in msg_files),
            dependencies=f'  DEPENDENCIES {" ".join(deps)}\n' if deps else '',
        ),
        encoding='utf-8',
    )
    return pkg


def write_include_fix(path: Path) -> Path:
    """The CMake file that repoints the wheels' Python and numpy include directories."""
    import numpy

    path.write_text(
        INCLUDE_FIX.format(
            python_include=sysconfig.get_paths()['include'], numpy_include=numpy.get_include()
        ),
        encoding='utf-8',
    )
    return path


def build(venv: Path, msg_root: Path | None, extra: list[Path]) -> None:
    """Generate the packages of ``msg_root`` (if given), build them and ``extra`` into ``venv``."""
    work = venv / 'ros_ws'
    src = work / 'src'
    src.mkdir(parents=True, exist_ok=True)
    base_paths = [str(p) for p in extra]
    if msg_root is not None:
        for pkg_dir in sorted(p for p in msg_root.iterdir() if (p / 'msg').is_dir()):
            write_package(src, pkg_dir.name, sorted((pkg_dir / 'msg').glob('*.msg')))
        base_paths.append(str(src))
    fix = write_include_fix(work / 'fix_includes.cmake')
    python = venv / 'bin' / 'python'
    cmd = [
        str(venv / 'bin' / 'colcon'), '--log-base', str(work / 'log'), 'build',
        '--merge-install', '--install-base', str(venv), '--build-base', str(work / 'build'),
        '--base-paths', *base_paths, '--event-handlers', 'console_cohesion-',
        '--cmake-args', f'-DCMAKE_PROJECT_INCLUDE={fix}', f'-DPython3_EXECUTABLE={python}',
        '-DBUILD_TESTING=OFF', '-DCMAKE_BUILD_TYPE=Release',
    ]  # fmt: skip
    env = {**os.environ, 'PATH': f'{venv / "bin"}{os.pathsep}{os.environ.get("PATH", "")}'}
    subprocess.run(cmd, check=True, env=env)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--venv', type=Path, required=True, help='venv to build into')
    parser.add_argument('--msg', type=Path, default=ROOT / 'msg', help='msg/ root')
    parser.add_argument('--extra', type=Path, action='append', default=[],
                        help='another interface package source to build (repeatable)')  # fmt: skip
    parser.add_argument('--only', action='store_true', help='build only the --extra packages')
    args = parser.parse_args(argv)
    msg = None if args.only else args.msg
    missing = [str(p) for p in [*([msg] if msg else []), *args.extra] if not p.is_dir()]
    if missing:
        print(f'build_ros_interfaces: not a directory: {", ".join(missing)}', file=sys.stderr)
        return 2
    try:
        build(args.venv.resolve(), msg and msg.resolve(), [p.resolve() for p in args.extra])
    except subprocess.CalledProcessError as err:
        print(f'build_ros_interfaces: colcon build failed (exit {err.returncode})',
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
