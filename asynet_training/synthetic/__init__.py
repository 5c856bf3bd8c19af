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


r"""Synthetic event datasets of moving shapes, written in the layouts of the real datasets.

A filled shape (the class, one of :data:`SHAPE_CLASSES`) of random size and small random rotation
moves over the sensor. Events fire on its outline: points are drawn along the outline (more on
edges facing the motion), each at a uniform random time; the position is the outline point moved
with the shape plus Gaussian sub-pixel jitter; the polarity is ON where the outward edge normal
points along the velocity (leading edge) and OFF on the trailing edge. A fraction of uniform
background noise is added. Everything is vectorised numpy; every sample draws from its own
generator seeded by ``(seed, split, class, index)``, so a seed gives byte-identical files.

Writers produce the on-disk trees that :mod:`asynet_training.datasets` reads (N-Cars ``.dat``, the
EST N-Caltech101 ``.npy`` tree, Gen1 ``*_td.dat`` + ``*_bbox.npy``, N-Caltech101 ``.bin`` +
annotation), so the real readers are tested and small models can be trained without any download::

    python -m asynet_training.synthetic --out /tmp/syn_cls --task cls --layout ncaltech101 \\
        --seed 0 --train 40 --val 10 --test 10 --width 120 --height 100 --events 3000
    python -m asynet_training.synthetic --out /tmp/syn_det --task det --layout gen1 \\
        --seed 0 --train 4 --val 1 --test 1

The N-Caltech101 detection layout moves the shape along the recording saccade (the motion the
reader compensates boxes for) instead of a constant velocity, and annotates the box at rest.
"""

from asynet_training.synthetic.shapes import (
    CLS_LAYOUTS,
    DET_LAYOUTS,
    make_background_sample,
    make_classification_sample,
    make_detection_sample,
    SHAPE_CLASSES,
)
from asynet_training.synthetic.writers import (
    _sample_rng,
    GEN1_SHAPE_CLASSES,
    main,
    write_synthetic_classification,
    write_synthetic_detection,
    write_synthetic_ncars,
)

__all__ = [
    'CLS_LAYOUTS',
    'DET_LAYOUTS',
    'GEN1_SHAPE_CLASSES',
    'SHAPE_CLASSES',
    '_sample_rng',
    'main',
    'make_background_sample',
    'make_classification_sample',
    'make_detection_sample',
    'write_synthetic_classification',
    'write_synthetic_detection',
    'write_synthetic_ncars',
]
