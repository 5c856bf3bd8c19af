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


"""``asynet-bag2dataset``: turn a rosbag2 event recording into a training dataset tree.

::

    asynet-bag2dataset BAG --out DIR --format gen1 [--split train|val|test]
        [--labels-topic L --classes car,pedestrian] [--overwrite]
    asynet-bag2dataset BAG --out DIR --format ncars --class-name cars|background
        [--split train|test] [--window-us 100000 | --window-events N]
    asynet-bag2dataset BAG --out DIR --format ncaltech101 --class-name NAME
        [--window-events 50000 | --window-us N]

Every format takes ``--topic T`` (default: the bag's only event topic) and ``--no-progress``.
The event topic may be any event message type and encoding; one decoder per encoding keeps its
state across the messages of the stream. The trees are those :mod:`asynet_training.datasets` reads:

* ``gen1``: one recording ``DIR/<split>/<bag name>_td.dat`` (Prophesee DAT with ``% Width`` /
  ``% Height``), times rebased so that the earliest event is at 0 µs (the summary gives the
  subtracted ``t0_us``). With ``--labels-topic`` (``vision_msgs/Detection2DArray``) also
  ``<bag name>_bbox.npy`` (canonical Gen1 box dtype): per detection the best-scoring result gives
  ``class_id`` (its name's index in ``--classes``, or the number itself when ``class_id`` is a
  digit string) and ``class_confidence``; ``x, y, w, h`` = centre - size / 2 and size;
  ``track_id`` = the detection ``id`` when it is a digit string, else 0. Existing files are kept
  unless ``--overwrite`` (which also deletes a stale ``_bbox.npy`` when no labels are given). The
  recording is held in memory until written (16 bytes per event).
* ``ncars``: samples ``DIR/n-cars_<split>/<class-name>/obj_NNNNNN_td.dat`` (``val`` is carved from
  ``n-cars_train`` by the reader, so only ``train`` and ``test`` exist); convert one bag per class.
* ``ncaltech101``: samples ``DIR/Caltech101/<class-name>/image_NNNN.bin`` (the reader splits each
  class itself, so there is no ``--split``). The format stores x and y in 8 bits and reserves
  y = 240, so a sensor over 256 px wide or 240 px high is refused.

Samples cut the stream into consecutive windows: ``--window-us`` (default 100 000 for ncars), from
the first event on, empty windows skipped; or ``--window-events`` (default 50 000 for ncaltech101).
The last, shorter window is kept. Each sample's times are rebased to start at 0; numbering goes on
after the files already in the class folder, so several bags can fill one class.

**Label time rule.** Detection2DArray stamps are ROS time (ns), events are on the sensor clock
(µs). Every event message with events gives a pair (header stamp, its first event's ``t``); a
label's stamp is mapped through these pairs by linear interpolation (``np.interp``), and before
the first or after the last pair by that pair's offset (clock rate 1). A label stamp of zero is
replaced by the bag's record time. Labels mapped before the first event are dropped and counted.

A sensor larger than the frame the dataset class reads (Gen1 304x240, NCars 120x100,
NCaltech101Bin 240x180) is converted but warned about: that class rejects events outside it.

Prints a JSON summary: ``files``, ``samples``, ``events``, ``labels`` and the details. Errors
(missing bag, wrong topic type, missing class name, empty stream, ...) go to stderr, exit code 2.

The package's modules: :mod:`~asynet_tools.bag2dataset.config` (options and formats),
:mod:`~asynet_tools.bag2dataset.reading` (the bag), :mod:`~asynet_tools.bag2dataset.labels`
(detections to boxes), :mod:`~asynet_tools.bag2dataset.sinks` (the writers) and
:mod:`~asynet_tools.bag2dataset.cli` (:func:`convert`, :func:`main`).
"""

from __future__ import annotations

from asynet_tools.bag2dataset.cli import convert, main
from asynet_tools.bag2dataset.config import (
    Bag2DatasetError,
    ConvertConfig,
    FORMATS,
    NCARS_CLASSES,
)
from asynet_tools.bag2dataset.labels import sensor_time_us
from asynet_tools.bag2dataset.reading import DETECTION_ARRAY

__all__ = [
    'DETECTION_ARRAY',
    'FORMATS',
    'NCARS_CLASSES',
    'Bag2DatasetError',
    'ConvertConfig',
    'convert',
    'main',
    'sensor_time_us',
]
