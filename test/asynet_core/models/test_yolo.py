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

"""YOLO decoding, IoU, class-aware NMS and postprocessing on hand-made head outputs."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
import pytest
import torch

from asynet_core.errors import ConfigError, ShapeError
from asynet_core.models.yolo import box_iou, decode_yolo, Detections, nms, postprocess

NB = 2  # boxes per cell
NC = 3  # classes
H, W = 95, 127  # input size: cells are 47.5 x 42.33 pixels on a 2 x 3 grid
OFF = -30.0  # objectness logit of an empty box: score ~1e-13


def _empty_output(batch: int = 1, grid: tuple[int, int] = (2, 3)) -> torch.Tensor:
    """Head output ``[B, Hg, Wg, NC + 5 * NB]`` whose boxes all have objectness logit OFF."""
    out = torch.zeros(batch, *grid, NC + 5 * NB, dtype=torch.float64)
    out[..., 4 * NB : 5 * NB] = OFF
    return out


def _set_box(
    out: torch.Tensor,
    cell: tuple[int, int, int],
    box: int,
    geometry: tuple[float, float, float, float],
    objectness: float,
) -> None:
    """Write (row offset, column offset, sqrt h, sqrt w) and the objectness logit of one box."""
    b, r, c = cell
    for k, value in enumerate(geometry):
        out[b, r, c, k * NB + box] = value
    out[b, r, c, 4 * NB + box] = objectness


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _softmax(logits: list[float]) -> list[float]:
    total = sum(math.exp(v) for v in logits)
    return [math.exp(v) / total for v in logits]


def _det(boxes: list[list[float]], scores: list[float], labels: list[int]) -> Detections:
    return Detections(
        torch.tensor(boxes, dtype=torch.float64).view(-1, 4),
        torch.tensor(scores, dtype=torch.float64),
        torch.tensor(labels, dtype=torch.int64),
        torch.tensor(scores, dtype=torch.float64),
    )


# Decoding


def test_decode_one_box_geometry_and_score() -> None:
    out = _empty_output()
    _set_box(out, (0, 1, 2), 1, (0.5, 0.25, 0.4, 0.2), 2.0)
    out[0, 1, 2, 5 * NB :] = torch.tensor([0.0, 3.0, 1.0])
    (det,) = decode_yolo(out, (H, W), NC, NB, 0.3)
    cell_h, cell_w = H / 2, W / 3
    cy, cx = (1 + 0.5) * cell_h, (2 + 0.25) * cell_w
    h, w = 0.4**2 * H, 0.2**2 * W
    expected = [[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]]
    torch.testing.assert_close(det.boxes, torch.tensor(expected, dtype=torch.float64))
    score = _sigmoid(2.0) * _softmax([0.0, 3.0, 1.0])[1]
    torch.testing.assert_close(det.scores, torch.tensor([score], dtype=torch.float64))
    torch.testing.assert_close(det.objectness, torch.tensor([_sigmoid(2.0)], dtype=torch.float64))
    assert det.labels.tolist() == [1]
    assert det.labels.dtype == torch.int64


def test_row_offset_moves_y_and_column_offset_moves_x() -> None:
    out = _empty_output()
    _set_box(out, (0, 1, 1), 0, (0.5, 0.0, 0.1, 0.1), 5.0)  # row offset only
    _set_box(out, (0, 1, 1), 1, (0.0, 0.5, 0.1, 0.1), 5.0)  # column offset only
    (det,) = decode_yolo(out, (H, W), NC, NB, 0.2)
    centres = (det.boxes[:, :2] + det.boxes[:, 2:]) / 2  # [2, 2] (x, y)
    expected = [[W / 3, 1.5 * H / 2], [1.5 * W / 3, H / 2]]
    torch.testing.assert_close(centres, torch.tensor(expected, dtype=torch.float64))


def test_height_and_width_channels() -> None:
    out = _empty_output()
    _set_box(out, (0, 0, 1), 1, (0.5, 0.5, 0.5, 0.25), 5.0)  # h = H / 4, w = W / 16
    (det,) = decode_yolo(out, (H, W), NC, NB, 0.2)
    size = det.boxes[0, 2:] - det.boxes[0, :2]  # (w, h)
    torch.testing.assert_close(size, torch.tensor([W / 16, H / 4], dtype=torch.float64))


def test_boxes_are_clamped_to_the_image() -> None:
    out = _empty_output()
    _set_box(out, (0, 0, 0), 0, (0.1, 0.1, 1.0, 1.0), 5.0)  # full-image box at the top-left
    _set_box(out, (0, 1, 2), 0, (0.9, 0.9, 0.5, 0.5), 5.0)  # spills over the bottom-right
    (det,) = decode_yolo(out, (H, W), NC, NB, 0.2)
    cy, cx = 0.1 * H / 2, 0.1 * W / 3
    torch.testing.assert_close(
        det.boxes[0], torch.tensor([0.0, 0.0, cx + W / 2, cy + H / 2], dtype=torch.float64)
    )
    assert det.boxes[1, 2].item() == W
    assert det.boxes[1, 3].item() == H


def test_boxes_of_a_cell_share_the_class() -> None:
    out = _empty_output()
    _set_box(out, (0, 1, 1), 0, (0.2, 0.2, 0.3, 0.3), 4.0)
    _set_box(out, (0, 1, 1), 1, (0.8, 0.8, 0.3, 0.3), 4.0)
    out[0, 1, 1, 5 * NB :] = torch.tensor([0.0, 0.0, 5.0])
    (det,) = decode_yolo(out, (H, W), NC, NB, 0.2)
    assert det.labels.tolist() == [2, 2]


def test_score_threshold_is_inclusive_and_bounds_the_count() -> None:
    out = _empty_output()
    _set_box(out, (0, 0, 0), 0, (0.5, 0.5, 0.3, 0.3), 0.0)  # score 0.5 * 1/3
    assert len(decode_yolo(out, (H, W), NC, NB, 0.0)[0]) == 2 * 3 * NB
    (det,) = decode_yolo(out, (H, W), NC, NB, 0.1)
    assert len(det) == 1
    exact = float(det.scores[0])
    assert len(decode_yolo(out, (H, W), NC, NB, exact)[0]) == 1
    assert len(decode_yolo(out, (H, W), NC, NB, 0.2)[0]) == 0


def test_batch_items_are_decoded_separately() -> None:
    out = _empty_output(batch=3)
    _set_box(out, (1, 0, 0), 0, (0.5, 0.5, 0.3, 0.3), 5.0)
    _set_box(out, (1, 1, 1), 1, (0.5, 0.5, 0.3, 0.3), 5.0)
    _set_box(out, (2, 0, 2), 0, (0.5, 0.5, 0.3, 0.3), 5.0)
    assert [len(d) for d in decode_yolo(out, (H, W), NC, NB)] == [0, 2, 1]


def test_no_detections_and_empty_batch() -> None:
    (det,) = decode_yolo(_empty_output(), (H, W), NC, NB, 0.3)
    assert det.boxes.shape == (0, 4)
    assert det.scores.shape == det.labels.shape == det.objectness.shape == (0,)
    assert det.labels.dtype == torch.int64
    assert decode_yolo(_empty_output(batch=0), (H, W), NC, NB) == []
    assert postprocess(_empty_output(batch=0), (H, W), NC, NB) == []


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    grid=st.tuples(st.integers(1, 6), st.integers(1, 8)),
    size=st.tuples(st.integers(1, 300), st.integers(1, 300)),
)
def test_decoded_boxes_are_ordered_inside_the_image(
    seed: int, grid: tuple[int, int], size: tuple[int, int]
) -> None:
    gen = torch.Generator().manual_seed(seed)
    out = torch.randn(2, *grid, NC + 5 * NB, generator=gen) * 2  # [2, Hg, Wg, C + 5 nb]
    for det in decode_yolo(out, size, NC, NB, 0.0):
        assert len(det) == grid[0] * grid[1] * NB
        assert bool((det.boxes[:, 0] <= det.boxes[:, 2]).all())
        assert bool((det.boxes[:, 1] <= det.boxes[:, 3]).all())
        assert bool((det.boxes >= 0).all())
        assert bool((det.boxes[:, [0, 2]] <= size[1]).all())
        assert bool((det.boxes[:, [1, 3]] <= size[0]).all())
        assert bool(((det.scores >= 0) & (det.scores <= det.objectness)).all())


@pytest.mark.parametrize(
    ('shape', 'match'),
    [
        ((2, 3, NC + 5 * NB), r'expected YOLO output \[B, Hg, Wg, C\], got shape \(2, 3, 13\)'),
        (
            (1, 2, 3, 12),
            r'YOLO output has 12 channels per cell, expected num_classes \+ 5 \* num_boxes '
            r'= 3 \+ 5 \* 2 = 13',
        ),
        ((1, 0, 3, NC + 5 * NB), r'YOLO output grid is empty: shape \(1, 0, 3, 13\)'),
    ],
)
def test_decode_rejects_bad_shapes(shape: tuple[int, ...], match: str) -> None:
    with pytest.raises(ShapeError, match=match):
        decode_yolo(torch.zeros(shape), (H, W), NC, NB)


def test_decode_rejects_bad_input_size() -> None:
    with pytest.raises(ShapeError, match=r'input_size must be \(height, width\), both >= 1'):
        decode_yolo(_empty_output(), (0, W), NC, NB)


def test_decode_rejects_bad_counts_and_threshold() -> None:
    with pytest.raises(ConfigError, match=r'num_classes and num_boxes must be >= 1, got 3 and 0'):
        decode_yolo(_empty_output(), (H, W), NC, 0)
    with pytest.raises(ConfigError, match=r'score_threshold must be in \[0, 1\], got 1.5'):
        decode_yolo(_empty_output(), (H, W), NC, NB, 1.5)


# IoU


def test_box_iou_values() -> None:
    a = torch.tensor([[0.0, 0.0, 10.0, 10.0], [5.0, 5.0, 5.0, 5.0]])
    b = torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 5.0], [20.0, 20.0, 30.0, 30.0]])
    expected = torch.tensor([[1.0, 0.5, 0.0], [0.0, 0.0, 0.0]])
    torch.testing.assert_close(box_iou(a, b), expected)
    degenerate = torch.tensor([[1.0, 1.0, 1.0, 1.0]])
    assert box_iou(degenerate, degenerate).item() == 0.0


def test_box_iou_rejects_bad_shapes() -> None:
    with pytest.raises(
        ShapeError, match=r'box_iou expects boxes \[N, 4\] and \[M, 4\], got \(2, 3\) and \(1, 4\)'
    ):
        box_iou(torch.zeros(2, 3), torch.zeros(1, 4))


# NMS


def test_nms_suppresses_overlapping_boxes_of_the_same_class() -> None:
    det = _det([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], [0.6, 0.9, 0.5], [1, 1, 1])
    kept = nms(det, 0.5)
    assert kept.boxes.tolist() == [[1, 1, 11, 11], [50, 50, 60, 60]]
    assert kept.scores.tolist() == [0.9, 0.5]


def test_nms_keeps_overlapping_boxes_of_different_classes() -> None:
    det = _det([[0, 0, 10, 10], [1, 1, 11, 11]], [0.6, 0.9], [0, 1])
    kept = nms(det, 0.5)
    assert kept.labels.tolist() == [1, 0]
    assert kept.scores.tolist() == [0.9, 0.6]


def test_nms_suppresses_only_above_the_threshold() -> None:
    det = _det([[0, 0, 10, 10], [0, 0, 10, 5]], [0.9, 0.8], [0, 0])  # IoU exactly 0.5
    assert len(nms(det, 0.5)) == 2
    assert len(nms(det, 0.49)) == 1


def test_nms_suppressed_box_does_not_suppress() -> None:
    # b overlaps a (suppressed by it) and c; c overlaps only b, so c survives.
    det = _det([[0, 0, 10, 10], [3, 0, 13, 10], [6, 0, 16, 10]], [0.9, 0.8, 0.7], [0, 0, 0])
    assert nms(det, 0.3).scores.tolist() == [0.9, 0.7]


def test_nms_on_empty_detections() -> None:
    kept = nms(Detections.empty(), 0.5)
    assert len(kept) == 0
    assert kept.boxes.shape == (0, 4)


def test_nms_rejects_bad_threshold() -> None:
    with pytest.raises(ConfigError, match=r'iou_threshold must be in \[0, 1\], got -0.1'):
        nms(Detections.empty(), -0.1)


# Postprocessing


def test_postprocess_decodes_suppresses_and_sorts() -> None:
    out = _empty_output()
    _set_box(out, (0, 0, 0), 0, (0.5, 0.5, 0.4, 0.4), 1.0)
    _set_box(out, (0, 0, 0), 1, (0.52, 0.5, 0.4, 0.4), 3.0)  # nearly the same box, higher score
    _set_box(out, (0, 1, 2), 0, (0.5, 0.5, 0.3, 0.3), 2.0)
    out[0, :, :, 5 * NB] = 10.0  # class 0 everywhere
    (det,) = postprocess(out, (H, W), NC, NB, score_threshold=0.3, iou_threshold=0.6)
    prob = _softmax([10.0, 0.0, 0.0])[0]
    expected = [_sigmoid(3.0) * prob, _sigmoid(2.0) * prob]
    torch.testing.assert_close(det.scores, torch.tensor(expected, dtype=torch.float64))
    assert det.labels.tolist() == [0, 0]


def test_postprocess_truncates_to_max_detections() -> None:
    out = _empty_output()
    out[..., 0 : 2 * NB] = 0.5
    out[..., 2 * NB : 4 * NB] = 0.1  # small, non-overlapping boxes in every cell
    out[..., 4 * NB : 5 * NB] = torch.linspace(1.0, 5.0, 2 * 3 * NB).view(1, 2, 3, NB)
    (det,) = postprocess(out, (H, W), NC, NB, score_threshold=0.0, max_detections=4)
    assert len(det) == 4
    assert bool((det.scores[:-1] >= det.scores[1:]).all())
    (none,) = postprocess(out, (H, W), NC, NB, score_threshold=0.0, max_detections=0)
    assert len(none) == 0


def test_postprocess_rejects_bad_arguments() -> None:
    with pytest.raises(ConfigError, match=r'max_detections must be >= 0, got -1'):
        postprocess(_empty_output(), (H, W), NC, NB, max_detections=-1)
    with pytest.raises(ConfigError, match=r'iou_threshold must be in \[0, 1\], got 2'):
        postprocess(_empty_output(), (H, W), NC, NB, iou_threshold=2)


# Detections


def test_detections_validate_their_fields() -> None:
    boxes, scores = torch.zeros(2, 4), torch.zeros(2)
    labels = torch.zeros(2, dtype=torch.int64)
    with pytest.raises(ShapeError, match=r'boxes must have shape \[N, 4\], got \(2, 5\)'):
        Detections(torch.zeros(2, 5), scores, labels, scores)
    with pytest.raises(
        ShapeError, match=r'scores must have shape \(2,\) to match 2 boxes, got \(3,\)'
    ):
        Detections(boxes, torch.zeros(3), labels, scores)
    with pytest.raises(ShapeError, match=r'labels must be int64, got torch.float32'):
        Detections(boxes, scores, torch.zeros(2), scores)
