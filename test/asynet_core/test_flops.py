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

"""FLOPs counting (asynet_core.flops) and the ``asynet-flops`` CLI (asynet_core.flops_cli).

Counts are checked against numbers derived on paper: the batch-dense cost of every architecture,
the rules of tiny one-layer trunks fed a single site, a k x k block, a value change, a switch-off.
"""

from __future__ import annotations

from collections import OrderedDict
import json
from pathlib import Path

import pytest
import torch
from torch import nn

from asynet_core.engine import AsyncSparseVGG, AsyncState, AsyncTrunk, LayerStats
from asynet_core.flops import LayerFlops, MODES, sparse_flops, update_flops
from asynet_core.flops_cli import ARCH_DATASETS, flops_report, main, sliding_update
from asynet_core.models import ARCHS, ModelConfig, SparseVGG
from asynet_core.representations import InputMapping
from asynet_core.spconv_compat import spconv
from asynet_core.synthetic import moving_edges

C_IN, C_OUT = 2, 3  # channels of the tiny trunks


def _net(arch: str) -> AsyncSparseVGG:
    torch.manual_seed(0)
    _, classes = ARCH_DATASETS[arch]
    return AsyncSparseVGG.from_model(SparseVGG(ModelConfig(arch, classes)).eval())


def _one_site_update(net: AsyncSparseVGG) -> dict[str, list[LayerFlops]]:
    """Count the FLOPs of moving one event from (5, 5) to (5, 6) (batch_dense: topology only)."""
    off = torch.tensor([[1.0, 0.0]])
    return update_flops(
        net,
        (torch.tensor([[5, 5]]), off),
        (torch.tensor([[5, 5], [5, 6]]), torch.tensor([[0.0, 0.0], [1.0, 0.0]])),
    )


def _shrink(n: int) -> int:
    return (n - 3) // 2 + 1  # 3x3 stride-2 valid pool or conv


def _hand_batch_dense(arch: str) -> list[tuple[str, str, int]]:
    """Dense FLOPs per layer (name, kind, flops) computed from the topology alone.

    Conv H*W*((2*9*Cin - 1)*Cout + Cout) (the ReLU included), pool Ho*Wo*9*C, the head conv on its
    grid, linear 2*in*out.
    """
    spec, (_, classes) = ARCHS[arch], ARCH_DATASETS[arch]
    (h, w), cin, out = spec.input_size, 2, []
    for li, channels in enumerate(spec.levels):
        for ci, cout in enumerate(channels):
            out.append((f'conv{li}_{ci}', 'conv', h * w * ((2 * 9 * cin - 1) * cout + cout)))
            cin = cout
        if li < len(spec.levels) - 1:
            h, w = _shrink(h), _shrink(w)
            out.append((f'pool{li}', 'pool', h * w * 9 * cin))
    h, w, hc = _shrink(h), _shrink(w), spec.head_channels
    out.append(('head_conv', 'conv', h * w * ((2 * 9 * cin - 1) * hc + hc)))
    if spec.task == 'classification':
        return [*out, ('fc', 'linear', 2 * hc * h * w * classes)]
    yolo = h * w * (classes + 5 * 2)  # 2 boxes per cell
    return [
        *out,
        ('linear_1', 'linear', 2 * hc * h * w * spec.fc_hidden),
        ('linear_1/2', 'linear', 2 * spec.fc_hidden * yolo),
    ]


# --- (a) batch_dense is exact ------------------------------------------------------------------


@pytest.mark.parametrize('arch', sorted(ARCHS))
def test_batch_dense_equals_hand_count(arch: str) -> None:
    got = [(f.name, f.kind, f.flops) for f in _one_site_update(_net(arch))['batch_dense']]
    assert got == _hand_batch_dense(arch)


# (2*9*Cin - 1)*Cout + Cout = 18*Cin*Cout per site. N-Cars: 95x127 input, levels at 95x127, 47x63,
# 23x31, 11x15, 5x7, head grid 2x3 (the test below redoes these sums):
#   convs  12065*18*(2*16 + 16*16) + 2961*18*(16*32 + 32*32) + 713*18*(32*64 + 64*64)
#          + 165*18*(64*128 + 128*128) + 35*18*128*256 + 6*18*256*128
#        = (6949440 + 55595520) + (27288576 + 54577152) + (26284032 + 52568064)
#          + (24330240 + 48660480) + 20643840 + 3538944 = 320436288
#   pools  9*(2961*16 + 713*32 + 165*64 + 35*128) = 426384 + 205344 + 95040 + 40320 = 767088
#   fc     2*(128*6)*2 = 3072
NCARS_BATCH_DENSE = 321_206_448
# N-Caltech101, 191x255 input, levels 191x255, 95x127, 47x63, 23x31, 11x15, 5x7, grid 2x3:
#   convs  48705*18*(2*16 + 16*16) + 12065*18*(16*32 + 32*32) + 2961*18*(32*64 + 64*64)
#          + 713*18*(64*128 + 128*128) + 165*18*(128*256 + 256*256) + 35*18*256*512
#          + 6*18*512*256
#   pools  9*(12065*16 + 2961*32 + 713*64 + 165*128 + 35*256)
#   fc     2*(256*6)*101 = 310272
NCALTECH101_BATCH_DENSE = 1_621_206_960


@pytest.mark.parametrize(
    ('arch', 'total'), [('ncars', NCARS_BATCH_DENSE), ('ncaltech101', NCALTECH101_BATCH_DENSE)]
)
def test_batch_dense_totals_pinned(arch: str, total: int) -> None:
    assert sum(f.flops for f in _one_site_update(_net(arch))['batch_dense']) == total


def test_pinned_totals_follow_from_the_sums_in_the_comments() -> None:
    ncars_convs = (
        12065 * 18 * (2 * 16 + 16 * 16)
        + 2961 * 18 * (16 * 32 + 32 * 32)
        + 713 * 18 * (32 * 64 + 64 * 64)
        + 165 * 18 * (64 * 128 + 128 * 128)
        + 35 * 18 * 128 * 256
        + 6 * 18 * 256 * 128
    )
    ncars_pools = 9 * (2961 * 16 + 713 * 32 + 165 * 64 + 35 * 128)
    assert ncars_convs + ncars_pools + 2 * 128 * 6 * 2 == NCARS_BATCH_DENSE
    caltech_convs = (
        48705 * 18 * (2 * 16 + 16 * 16)
        + 12065 * 18 * (16 * 32 + 32 * 32)
        + 2961 * 18 * (32 * 64 + 64 * 64)
        + 713 * 18 * (64 * 128 + 128 * 128)
        + 165 * 18 * (128 * 256 + 256 * 256)
        + 35 * 18 * 256 * 512
        + 6 * 18 * 512 * 256
    )
    caltech_pools = 9 * (12065 * 16 + 2961 * 32 + 713 * 64 + 165 * 128 + 35 * 256)
    assert caltech_convs + caltech_pools + 2 * 256 * 6 * 101 == NCALTECH101_BATCH_DENSE


# --- (b) ordering of the modes for one-event updates -------------------------------------------


def _one_event_updates(arch: str, seeds: range) -> list[dict[str, int]]:
    net, (sensor, _) = _net(arch), ARCH_DATASETS[arch]
    mapping = InputMapping(sensor, ARCHS[arch].input_size)
    totals = []
    for seed in seeds:
        events = moving_edges(sensor, 2001, seed)
        counts = update_flops(net, *sliding_update(events, mapping, 2000, 1))
        totals.append({mode: sum(f.flops for f in counts[mode]) for mode in MODES})
    return totals


@pytest.mark.parametrize('arch', ['ncars', 'gen1_det'])
def test_mode_ordering_for_one_event(arch: str) -> None:
    for t in _one_event_updates(arch, range(3)):
        assert 0 < t['async_sparse'] <= t['batch_sparse'] <= t['batch_dense']
        assert t['async_sparse'] <= t['async_dense']


def test_async_linear_counts_changed_rows_only() -> None:
    net = _net('ncars')
    counts = _one_site_update(net)
    fc_async, fc_batch = counts['async_sparse'][-1], counts['batch_sparse'][-1]
    assert fc_async.name == fc_batch.name == 'fc'
    assert fc_batch.flops == 2 * (128 * 2 * 3) * 2  # 2 * in * out, full layer
    per_site = 2 * 128 * 2  # one changed head site: 128 rows of the 2-class fc
    assert fc_async.flops % per_site == 0
    assert fc_async.flops <= fc_batch.flops


# --- (c) rules on paper: one-layer trunks ------------------------------------------------------


def _trunk(conv: nn.Module, pool: bool = False) -> AsyncTrunk:
    layers: OrderedDict[str, nn.Module] = OrderedDict(
        conv=conv, bn=nn.BatchNorm1d(C_OUT), relu=nn.ReLU()
    )
    if pool:
        layers['pool'] = spconv.SparseMaxPool2d(3, 2)
    layers['to_dense'] = spconv.ToDense()
    seq = spconv.SparseSequential(layers).eval()
    return AsyncTrunk.from_sequential(seq, (7, 7), C_IN, torch.float64)


def _subm(pool: bool = False) -> AsyncTrunk:
    return _trunk(spconv.SubMConv2d(C_IN, C_OUT, 3, padding=1, bias=False, indice_key='s'), pool)


def _strided() -> AsyncTrunk:
    return _trunk(spconv.SparseConv2d(C_IN, C_OUT, 3, 2, bias=False))


def _block(top: int, left: int, k: int) -> torch.Tensor:
    rows, cols = torch.meshgrid(
        torch.arange(top, top + k), torch.arange(left, left + k), indexing='ij'
    )
    return torch.stack([rows.flatten(), cols.flatten()], dim=1)  # [k*k, 2]


def _apply(
    trunk: AsyncTrunk, state: AsyncState, sites: torch.Tensor, value: float
) -> list[LayerStats]:
    """Set every channel of ``sites`` to ``value``; the per-layer stats of that update."""
    trunk(state, sites, torch.full((sites.shape[0], C_IN), value, dtype=torch.float64))
    return list(state.stats or [])


def _conv_flops(rules: int, delta_rules: int, sites: int) -> int:
    """The rule of asynet_core.flops: 2*Cin*Cout per rule, Cin per difference, Cout per ReLU."""
    return rules * 2 * C_IN * C_OUT + delta_rules * C_IN + sites * C_OUT


@pytest.mark.parametrize(
    ('k', 'top', 'left'), [(1, 3, 3), (1, 0, 0), (2, 0, 0), (3, 2, 2), (3, 4, 4)]
)
def test_submanifold_block_switching_on(k: int, top: int, left: int) -> None:
    # Every site of a k x k block is born. Each output recomputes from its active neighbours:
    # per axis 3k - 2 (input, output) pairs at distance <= 1, so (3k - 2)^2 rules, none on deltas.
    trunk = _subm()
    state = trunk.init_state(track_stats=True)
    [stats] = _apply(trunk, state, _block(top, left, k), 1.0)
    rules = (3 * k - 2) ** 2
    assert stats == LayerStats('conv', 'conv', C_IN, C_OUT, rules, 0, k * k)
    assert sparse_flops([stats]) == [LayerFlops('conv', 'conv', _conv_flops(rules, 0, k * k))]


def test_submanifold_value_change_and_switch_off() -> None:
    trunk = _subm()
    state = trunk.init_state(track_stats=True)
    _apply(trunk, state, _block(2, 2, 3), 1.0)
    # The centre changes value: its delta reaches all 9 active outputs, 9 rules on differences.
    [stats] = _apply(trunk, state, torch.tensor([[3, 3]]), 4.0)
    assert stats == LayerStats('conv', 'conv', C_IN, C_OUT, 9, 9, 9)
    assert sparse_flops([stats])[0].flops == 9 * 12 + 9 * 2 + 9 * 3 == _conv_flops(9, 9, 9)
    # A corner switches off: its delta reaches the 3 other active outputs of its 2x2 neighbourhood,
    # and the corner's own output is zeroed: 4 sites recomputed.
    [stats] = _apply(trunk, state, torch.tensor([[2, 2]]), 0.0)
    assert stats == LayerStats('conv', 'conv', C_IN, C_OUT, 3, 3, 4)
    assert sparse_flops([stats])[0].flops == 3 * 12 + 3 * 2 + 4 * 3


@pytest.mark.parametrize(
    ('site', 'outputs'), [((3, 3), 1), ((2, 2), 4), ((2, 3), 2), ((0, 0), 1), ((6, 6), 1)]
)
def test_strided_single_site(site: tuple[int, int], outputs: int) -> None:
    # 7x7 -> 3x3 with a 3x3/2 window: output o covers inputs 2o..2o+2, so even interior coordinates
    # lie in two windows per axis, odd ones in one. Each born output has one active input: 1 rule.
    trunk = _strided()
    state = trunk.init_state(track_stats=True)
    [stats] = _apply(trunk, state, torch.tensor([site]), 1.0)
    assert stats == LayerStats('conv', 'conv', C_IN, C_OUT, outputs, 0, outputs)
    # The same site changes value: one rule on the difference per output, nothing is born.
    [stats] = _apply(trunk, state, torch.tensor([site]), 2.0)
    assert stats == LayerStats('conv', 'conv', C_IN, C_OUT, outputs, outputs, outputs)
    assert sparse_flops([stats])[0].flops == _conv_flops(outputs, outputs, outputs)


def test_pool_recomputes_the_windows_of_a_new_site() -> None:
    trunk = _subm(pool=True)
    state = trunk.init_state(track_stats=True)
    conv, pool = _apply(trunk, state, torch.tensor([[2, 2]]), 1.0)
    assert conv == LayerStats('conv', 'conv', C_IN, C_OUT, 1, 0, 1)
    assert pool == LayerStats('pool', 'pool', C_OUT, C_OUT, 0, 0, 4)  # (2, 2) is in 4 windows
    assert sparse_flops([conv, pool]) == [
        LayerFlops('conv', 'conv', 1 * 12 + 1 * 3),
        LayerFlops('pool', 'pool', 9 * 4 * C_OUT),
    ]


def test_empty_update_costs_nothing() -> None:
    trunk = _subm(pool=True)
    state = trunk.init_state(track_stats=True)
    _apply(trunk, state, _block(1, 1, 2), 1.0)
    stats = _apply(trunk, state, torch.zeros(0, 2, dtype=torch.long), 1.0)
    assert [f.flops for f in sparse_flops(stats)] == [0, 0]


# --- (d) CLI JSON shape ------------------------------------------------------------------------


def test_cli_writes_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / 'flops.json'
    argv = [
        '--arch',
        'ncars',
        '--window',
        '2000',
        '--update-events',
        '1',
        '--samples',
        '1',
        '--seed',
        '4',
        '--json',
        str(out),
    ]
    assert main(argv) == 0
    assert 'batch_dense' in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert {k: report[k] for k in ('arch', 'window', 'update_events', 'samples')} == {
        'arch': 'ncars',
        'window': 2000,
        'update_events': 1,
        'samples': 1,
    }
    assert set(report['modes']) == set(MODES)
    names = [(e['name'], e['kind']) for e in report['modes']['batch_dense']['per_layer']]
    assert names == [(n, k) for n, k, _ in _hand_batch_dense('ncars')]
    for mode in report['modes'].values():
        assert [(e['name'], e['kind']) for e in mode['per_layer']] == names
        total = sum(e['flops'] for e in mode['per_layer'])
        assert total == pytest.approx(mode['flops_per_update'])
    assert report['modes']['batch_dense']['flops_per_update'] == NCARS_BATCH_DENSE


def test_cli_rejects_bad_window(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(['--arch', 'ncars', '--window', '0'])
    assert 'argument --window: must be in 1..100000000, got 0' in capsys.readouterr().err


# --- (e) determinism ---------------------------------------------------------------------------


def test_same_seed_same_report() -> None:
    first = flops_report('ncars', 2000, 5, 2, seed=7)
    assert flops_report('ncars', 2000, 5, 2, seed=7) == first
    other = flops_report('ncars', 2000, 5, 2, seed=8)
    assert other['modes']['batch_sparse'] != first['modes']['batch_sparse']
    assert other['modes']['batch_dense'] == first['modes']['batch_dense']
