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

"""Build script of the asynet_ros ament_python package (also a plain pip/setuptools project).

colcon (``colcon build``) and pip (``pip install -e '.[test]'``) both run this file. Paths are
resolved through ``realpath`` because ``colcon build --symlink-install`` runs it via a symlink.
"""

from glob import glob
import os

from pybind11.setup_helpers import build_ext, Pybind11Extension
from setuptools import find_packages, setup

PACKAGE_NAME = 'asynet_ros'
here = os.path.dirname(os.path.realpath(__file__))


def _extension() -> Pybind11Extension:
    """The compiled kernels ``asynet_core_cpp._ext`` (C++17, -O3, warnings are errors).

    ``ASYNET_MARCH`` sets ``-march`` (default ``native``: colcon and pip build on the machine that
    runs the code; set e.g. ``x86-64-v3`` for a portable build).
    """
    src = os.path.join(here, 'asynet_core_cpp', 'src')
    march = os.environ.get('ASYNET_MARCH', 'native')
    return Pybind11Extension(
        'asynet_core_cpp._ext',
        sorted(os.path.join(src, name) for name in os.listdir(src) if name.endswith('.cpp')),
        include_dirs=[os.path.join(here, 'asynet_core_cpp', 'include')],
        depends=sorted(glob(os.path.join(here, 'asynet_core_cpp', 'include', '*', '*.h'))),
        cxx_std=17,
        extra_compile_args=['-O3', f'-march={march}', '-Wall', '-Wextra', '-Wpedantic', '-Werror'],
    )


def _msg_files() -> list[tuple[str, list[str]]]:
    """``msg/<package>/msg/*.msg`` installed under ``share/asynet_ros/msg`` (ROS-free paths)."""
    packages = sorted(
        {p.split(os.sep)[1] for p in _data_glob(os.path.join('msg', '*', 'msg', '*.msg'))}
    )
    return [
        (f'share/{PACKAGE_NAME}/msg/{pkg}/msg', _data_glob(f'msg/{pkg}/msg/*.msg'))
        for pkg in packages
    ]


def _data_glob(pattern: str) -> list[str]:
    """Return the files matching ``pattern``, relative to the package root (may be empty)."""
    return sorted(glob(pattern, root_dir=here))


setup(
    name=PACKAGE_NAME,
    version='0.1.0',
    description='Asynchronous sparse CNN (AsyNet) for event cameras on spconv 2.x, ROS 2 node',
    license='Apache-2.0',
    maintainer='asynet_ros maintainers',
    maintainer_email='maintainers@asynet-ros.dev',
    python_requires='>=3.10',
    packages=[
        *find_packages(
            where=here,
            include=[
                'asynet_core',
                'asynet_core.*',
                'asynet_core_cpp',
                'asynet_ros',
                'asynet_ros.*',
                'asynet_tools',
                'asynet_tools.*',
                'asynet_training',
                'asynet_training.*',
            ],
        ),
        'asynet_benchmarks',
    ],
    package_dir={'asynet_benchmarks': 'benchmarks'},
    package_data={
        'asynet_core': ['py.typed'],
        'asynet_core_cpp': ['_ext.pyi', 'py.typed'],
        'asynet_ros': ['models/*.pt', 'models/*.md'],
    },
    ext_modules=[_extension()],
    cmdclass={'build_ext': build_ext},
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + PACKAGE_NAME]),
        ('share/' + PACKAGE_NAME, ['package.xml']),
        ('share/' + PACKAGE_NAME + '/launch', _data_glob('launch/*launch.py')),
        ('share/' + PACKAGE_NAME + '/config', _data_glob('config/*.yaml')),
        *_msg_files(),
    ],
    zip_safe=False,
    # Ranges that the pinned CPU wheels (torch==2.13.0, spconv==2.3.8, installed first by the
    # Makefile) satisfy, so pip never resolves a CUDA torch through them.
    install_requires=[
        'numpy',
        'torch>=2.1',
        'spconv>=2.3',
        'pyyaml',
        'tqdm',
        'tensorboard',
        'pycocotools',
        'rosbags',
        'cyclonedds>=11.0,<11.1',  # the raw DDS path uses its private _clayer
        'pillow',
    ],
    # colcon test runs pytest only when pytest is declared here.
    # evt3 and expelliarmus are the decoders benchmarks/decode_evt3.py measures against.
    # aedat reads AEDAT4 (asynet_ros/aedat4.py); dv-processing (iniVation) writes the test files.
    extras_require={
        'test': [
            'pytest>=8,<9',
            'hypothesis',
            'ruff',
            'mypy',
            'evt3',
            'expelliarmus',
            'mcap',
            'aedat>=2.3',
            'dv-processing',
            'matplotlib',
        ],
        'aedat': ['aedat>=2.3'],
        'plot': ['matplotlib'],  # asynet-replay-compare's compare.png
    },
    entry_points={
        'console_scripts': [
            'asynet-flops = asynet_tools.flops:main',
            'asynet-bench = asynet_benchmarks.async_vs_recompute:main',
            'asynet-train = asynet_training.train:main',
            'asynet-events = asynet_tools.events:main',
            'asynet-detect = asynet_ros.cli.detect:main',
            'asynet-replay = asynet_tools.replay:main',
            'asynet-replay-compare = asynet_tools.replay.compare_cli:main',
            'asynet-play = asynet_ros.dds.play:main',
            'asynet-bag2dataset = asynet_tools.bag2dataset:main',
            'detector = asynet_ros.node:main',
        ],
    },
)
