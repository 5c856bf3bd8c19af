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
        [--labels-topic L | --labels-bag OUTPUTS_BAG] [--label-info-topic I] [--classes a,b]
        [--overwrite] [GEOMETRY]
    asynet-bag2dataset BAG --out DIR --format ncars --class-name cars|background
        [--split train|test] [--window-us 100000 | --window-events N] [GEOMETRY]
    asynet-bag2dataset BAG --out DIR --format ncaltech101 --class-name NAME
        [--window-events 50000 | --window-us N] [GEOMETRY]

    GEOMETRY: [--crop X,Y,W,H] [--downscale N] [--resize-to WxH]

Every format takes ``--topic T`` (default: the bag's only event topic) and ``--no-progress``.
The event topic may be any event message type and encoding; one decoder per encoding keeps its
state across the messages of the stream. The trees are those :mod:`asynet_training.datasets` reads:

* ``gen1``: one recording ``DIR/<split>/<bag name>_td.dat`` (Prophesee DAT with ``% Width`` /
  ``% Height``), times rebased so that the earliest written event is at 0 µs (the summary gives
  the subtracted ``t0_us``), and with labels ``<bag name>_bbox.npy`` (canonical Gen1 box dtype).
  The reader needs the box file, so convert with labels; train and val are two conversions
  (``--split``). Existing files are kept unless ``--overwrite`` (which also deletes a stale
  ``_bbox.npy`` when no labels are given). The recording is held in memory until written (16
  bytes per event).
* ``ncars``: samples ``DIR/n-cars_<split>/<class-name>/obj_NNNNNN_td.dat`` (with ``% Width`` /
  ``% Height``; ``val`` is carved from ``n-cars_train`` by the reader, so only ``train`` and
  ``test`` exist); convert one bag per class.
* ``ncaltech101``: samples ``DIR/Caltech101/<class-name>/image_NNNN.bin`` (the reader,
  ``NCaltech101Bin``, splits each class itself, so there is no ``--split``; the format has no
  place for the sensor size).

Samples cut the stream into consecutive windows: ``--window-us`` (default 100 000 for ncars), from
the first event on, empty windows skipped; or ``--window-events`` (default 50 000 for ncaltech101).
The last, shorter window is kept. Each sample's times are rebased to start at 0; numbering goes on
after the files already in the class folder, so several bags can fill one class.

**Sensor size and geometry.** Each dataset class reads one sensor (``Gen1.sensor``,
``NCars.sensor``, ``NCaltech101Bin.sensor``: 304x240, 120x100, 240x180) and refuses events
outside it. The geometry options map every event, and every label box the same way, in this
order: ``--crop X,Y,W,H`` (events outside the rectangle dropped, the rest moved by -X, -Y; boxes
clipped, dropped when nothing is left), then ``--downscale N`` (``x // N``, ``y // N``; the sensor
becomes ``width // N`` x ``height // N``, a partial last column or row is dropped), then
``--resize-to WxH`` (``x * W // width``, ``y * H // height``; the two factors may differ). The
written size is the result (``% Width`` / ``% Height`` in DAT files). When it is larger than the
reader's sensor the conversion is refused at the first event message, before any file is
written (exit 2), with options that would fit, e.g. for 640x480 to gen1: ``--resize-to
304x240`` or ``--crop 168,120,304,240`` or ``--downscale 3`` (213x160). A crop outside the
sensor, an empty size or a factor below 1 is refused the same way.

**Labels (gen1).** ``--labels-topic`` names the ``vision_msgs/Detection2DArray`` topic of the
event bag; ``--labels-bag PATH`` reads the labels from another bag instead (default topic: its only
Detection2DArray topic), e.g. the ``OUT/outputs`` bag that ``asynet-replay`` writes, whose
detections are pseudo-labels for the recording. Per detection the best-scoring result gives the
class and ``class_confidence``; ``x, y, w, h`` = centre - size / 2 and size, through the geometry;
``track_id`` = the detection ``id`` when it is a digit string, else 0. **Class names**: the index
of a ``class_id`` name is its place in ``--classes a,b,...`` when given, else the ``class_id`` of
that name in the ``vision_msgs/LabelInfo`` of the labels bag (``--label-info-topic``, default:
every LabelInfo topic; they must agree); a digit string is the index itself. A name without an
index, or an index the Gen1 reader does not take (it reads ``car``, ``pedestrian``: 0 and 1), is
refused before anything is written. All this is read before the events, in one pass over the
labels bag.

**Label time rule.** Detection2DArray stamps are ROS time (ns), events are on the sensor clock
(µs). Every event message with events gives a pair (header stamp, its first event's ``t``); a
label's stamp is mapped through these pairs by linear interpolation (``np.interp``), and before
the first or after the last pair by that pair's offset (clock rate 1). A label stamp of zero is
replaced by the labels bag's record time. Labels mapped before the first written event are
dropped and counted (``labels_dropped``), so are boxes the geometry leaves empty
(``labels_outside_geometry``).

Prints a JSON summary: ``files``, ``samples``, ``events_read``, ``events`` (written),
``events_dropped``, ``input_width`` / ``input_height``, ``width`` / ``height`` (written),
``geometry``, ``labels``, ``classes`` and the details. Errors (missing bag, wrong topic type,
missing class name, a sensor that does not fit, empty stream, ...) go to stderr, exit code 2.

The package's modules: :mod:`~asynet_tools.bag2dataset.config` (options and formats),
:mod:`~asynet_tools.bag2dataset.geometry` (crop, downscale, resize),
:mod:`~asynet_tools.bag2dataset.reading` (the event input behind :func:`open_events`, and the
labels bag), :mod:`~asynet_tools.bag2dataset.labels` (detections to boxes, class names),
:mod:`~asynet_tools.bag2dataset.sinks` (the writers) and :mod:`~asynet_tools.bag2dataset.cli`
(:func:`convert`, :func:`main`).
"""

from __future__ import annotations

from typing import Any, TYPE_CHECKING

from asynet_tools.bag2dataset.cli import convert, main
from asynet_tools.bag2dataset.config import (
    Bag2DatasetError,
    ConvertConfig,
    FORMATS,
    NCARS_CLASSES,
)
from asynet_tools.bag2dataset.geometry import fit_options, Geometry
from asynet_tools.bag2dataset.labels import sensor_time_us

if TYPE_CHECKING:
    from asynet_tools.bag2dataset.reading import DETECTION_ARRAY, LABEL_INFO, open_events

__all__ = [
    'DETECTION_ARRAY',
    'FORMATS',
    'LABEL_INFO',
    'NCARS_CLASSES',
    'Bag2DatasetError',
    'ConvertConfig',
    'Geometry',
    'convert',
    'fit_options',
    'main',
    'open_events',
    'sensor_time_us',
]


def __getattr__(name: str) -> Any:
    """The names of :mod:`~asynet_tools.bag2dataset.reading` (rosbags, tqdm) on first use.

    ``asynet-bag2dataset --help`` must answer before they are imported.
    """
    if name in ('DETECTION_ARRAY', 'LABEL_INFO', 'open_events'):
        from asynet_tools.bag2dataset import reading

        return getattr(reading, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
