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

"""Prophesee Gen1 automotive detection (de Tournemire et al. 2020).

Layout::

    root/{train,val,test}/<name>_td.dat     events (Prophesee DAT)
    root/{train,val,test}/<name>_bbox.npy   boxes (either Gen1 box dtype)

One sample per unique label timestamp per recording. The event window **ends at the label time**:
it holds the events with ``t <= t_label`` (the last ``window_events`` of them, or those with
``t_label - window_us < t <= t_label``); it is found by bisecting the memory-mapped timestamps, so
only the window is read. Boxes are optionally filtered like the Prophesee evaluator
(``min_box_diag``, ``min_box_side``, on the stored w and h), then clipped to the 304x240 frame;
boxes left empty are dropped, and so is a label time left without boxes.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asynet_core.events import SensorSize
from asynet_training.datasets.base import (
    ALL_EVENTS,
    augment_sample,
    check_split,
    EventDataset,
    list_files,
    PathLike,
    require_dir,
    RngLike,
    Sample,
)
from asynet_training.errors import (
    CorruptFileError,
    DatasetError,
    DatasetLayoutError,
    MissingPairError,
)
from asynet_training.formats import dat_info, dat_times, DatInfo, read_dat, read_gen1_bbox

__all__ = ['Gen1', 'gen1_label_boxes']

CLASSES = ['car', 'pedestrian']
_LAYOUT = 'root/{train,val,test}/<name>_td.dat with <name>_bbox.npy'
_TD, _BBOX = '_td.dat', '_bbox.npy'


@dataclass(frozen=True)
class _Label:
    path: Path
    info: DatInfo
    t_us: int
    boxes: np.ndarray  # float32 [n, 5]


def gen1_label_boxes(
    raw: np.ndarray,
    sensor: SensorSize,
    min_box_diag: float | None = None,
    min_box_side: float | None = None,
) -> np.ndarray:
    """Boxes of BBOX_DTYPE as float32 [n, 5] (x, y, w, h, class_id), filtered and clipped.

    A box is kept if ``sqrt(w**2 + h**2) >= min_box_diag`` and ``min(w, h) >= min_box_side``
    (each only when given) and it still has a positive area after clipping to the sensor.
    """
    w, h = raw['w'].astype(np.float64), raw['h'].astype(np.float64)
    keep = np.ones(len(raw), dtype=bool)
    if min_box_diag is not None:
        keep &= np.hypot(w, h) >= min_box_diag
    if min_box_side is not None:
        keep &= np.minimum(w, h) >= min_box_side
    x0 = np.clip(raw['x'], 0, sensor.width)
    y0 = np.clip(raw['y'], 0, sensor.height)
    x1 = np.clip(raw['x'] + raw['w'], 0, sensor.width)
    y1 = np.clip(raw['y'] + raw['h'], 0, sensor.height)
    keep &= (x1 > x0) & (y1 > y0)
    out = np.stack([x0, y0, x1 - x0, y1 - y0, raw['class_id']], axis=1)
    return out[keep].astype(np.float32)


class Gen1(EventDataset):
    """Gen1 detection samples: events up to a label time and that time's boxes.

    ``boxes`` is float32 [n, 5] (x, y, w, h, class index into ``classes``) in sensor pixels;
    ``t_us`` is the label time. Augmentation (only with ``augment=True``) shifts (bounded so the
    boxes stay in the frame) and flips events and boxes; the window always ends at the label.

    Args:
        root: the directory holding ``train``, ``val`` and ``test``.
        split: 'train', 'val' or 'test'.
        min_box_diag: drop boxes whose diagonal is shorter (pixels); None keeps all.
        min_box_side: drop boxes whose shorter side is shorter (pixels); None keeps all.
        window_events: events per sample (the last ones up to the label; -1 = all); default
            25 000.
        window_us: alternatively, the events of the last ``window_us`` µs up to the label.
        augment: random shift (±``max_shift`` px, default 20) and flip.
        rng: generator (or seed) for augmentation.
        strict: raise on a corrupt file or a missing pair instead of skipping and recording it.
        max_shift: augmentation shift bound in pixels.

    Raises:
        DatasetLayoutError: missing root or split folder, or no recordings in it.
        MissingPairError: (strict) a ``_td.dat`` without ``_bbox.npy`` or the reverse.
        CorruptFileError: (strict) a bad DAT header or size, an unreadable box file, or a class
            id outside ``classes``.
    """

    sensor = SensorSize(width=304, height=240)
    default_window_events = 25_000
    default_max_shift = 20

    def __init__(
        self,
        root: PathLike,
        split: str,
        min_box_diag: float | None = None,
        min_box_side: float | None = None,
        *,
        window_events: int | None = None,
        window_us: int | None = None,
        augment: bool = False,
        rng: RngLike = None,
        strict: bool = True,
        max_shift: int | None = None,
    ) -> None:
        super().__init__(
            window_events=window_events,
            window_us=window_us,
            augment=augment,
            rng=rng,
            strict=strict,
            max_shift=max_shift,
        )
        self.root = require_dir(Path(root), _LAYOUT)
        self.split = check_split(split)
        self.classes = list(CLASSES)
        self.min_box_diag, self.min_box_side = min_box_diag, min_box_side
        self.labels: list[_Label] = []
        for dat, npy in self._pairs(require_dir(self.root / split, _LAYOUT)):
            self.labels += self._load_labels(dat, npy)

    def _pairs(self, folder: Path) -> list[tuple[Path, Path]]:
        dats = {p.name[: -len(_TD)]: p for p in list_files(folder, '*' + _TD)}
        npys = {p.name[: -len(_BBOX)]: p for p in list_files(folder, '*' + _BBOX)}
        if not dats and not npys:
            raise DatasetLayoutError(f'{folder}: no *{_TD} / *{_BBOX} files; expected {_LAYOUT}')
        for stem in sorted(dats.keys() - npys.keys()):
            err = f'{dats[stem]}: events have no box file; expected {folder / (stem + _BBOX)}'
            self._reject(dats[stem], MissingPairError(err))
        for stem in sorted(npys.keys() - dats.keys()):
            err = f'{npys[stem]}: boxes have no event file; expected {folder / (stem + _TD)}'
            self._reject(npys[stem], MissingPairError(err))
        return [(dats[s], npys[s]) for s in sorted(dats.keys() & npys.keys())]

    def _load_labels(self, dat: Path, npy: Path) -> list[_Label]:
        try:
            info = dat_info(dat)
            self._check_declared_sensor(dat, info.header)
            raw = read_gen1_bbox(npy)
            _check_class_ids(npy, raw)
        except DatasetError as err:
            self._reject(dat, err)
            return []
        labels = []
        for t in np.unique(raw['t']):
            rows = raw[raw['t'] == t]
            boxes = gen1_label_boxes(rows, self.sensor, self.min_box_diag, self.min_box_side)
            if len(boxes):
                labels.append(_Label(dat, info, int(t), boxes))
        return labels

    def __len__(self) -> int:
        return len(self.labels)

    def _start(self, times: np.ndarray, end: int, t_us: int) -> int:
        if self.window.us is not None:
            return bisect.bisect_right(times, t_us - self.window.us, 0, end)
        return 0 if self.window.events == ALL_EVENTS else max(0, end - (self.window.events or 0))

    def __getitem__(self, index: int) -> Sample:
        label = self.labels[self._check_index(index)]
        times = dat_times(label.path, label.info)
        end = bisect.bisect_right(times, label.t_us)
        start = self._start(times, end, label.t_us)
        del times
        events, _ = read_dat(label.path, start=start, stop=end)
        self._check_sensor(label.path, events)
        boxes: np.ndarray | None = label.boxes.copy()
        if self.augment:
            events, boxes = augment_sample(events, boxes, self.sensor, self.rng, self.max_shift)
        return Sample(events=events, path=label.path, boxes=boxes, t_us=label.t_us)


def _check_class_ids(path: Path, raw: np.ndarray) -> None:
    bad = np.flatnonzero(raw['class_id'] >= len(CLASSES))
    if bad.size:
        i = int(bad[0])
        raise CorruptFileError(
            f'{path}: box {i} has class_id {raw["class_id"][i]}, Gen1 classes are 0..'
            f'{len(CLASSES) - 1} ({", ".join(CLASSES)})'
        )
