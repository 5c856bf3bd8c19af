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

"""Checkpoints: round trips of both backbones, safe loading, and every refusal with its message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from asynet_core.errors import CheckpointError
from asynet_core.models import ModelConfig, SparseVGG, to_sparse_input
from asynet_core.models.build import build_model
from asynet_core.models.checkpoint import (
    CHECKPOINT_FORMAT,
    load_checkpoint,
    LoadedCheckpoint,
    save_checkpoint,
)
from asynet_core.models.dense_vgg import DenseVGG
from asynet_core.spconv_compat import spconv_single_thread

SPARSE = ModelConfig('ncars', 2, class_names=('background', 'car'), sensor_size=(120, 100))
DENSE = ModelConfig('ncars', 2, backbone='dense')


def _randomised(config: ModelConfig) -> SparseVGG | DenseVGG:
    """A model whose BN statistics are not the defaults, so a lost buffer changes the output."""
    torch.manual_seed(0)
    model = build_model(config)
    gen = torch.Generator().manual_seed(1)
    for name, buffer in model.named_buffers():
        if name.endswith(('running_mean', 'running_var')):
            buffer.copy_(torch.rand(buffer.shape, generator=gen) + 0.5)
    return model.eval()


def _forward(model: nn.Module, config: ModelConfig) -> torch.Tensor:
    h, w = config.input_size
    gen = torch.Generator().manual_seed(2)
    maps = torch.rand(2, h, w, 2, generator=gen)  # [B, H, W, C]
    maps *= torch.rand(2, h, w, 1, generator=gen) < 0.1  # ~10 % active sites
    with torch.no_grad(), spconv_single_thread():
        if config.backbone == 'sparse':
            return model(to_sparse_input(maps))  # type: ignore[no-any-return]
        return model(maps.permute(0, 3, 1, 2))  # type: ignore[no-any-return]


@pytest.fixture(scope='module')
def payload() -> dict[str, Any]:
    """A valid checkpoint dict of a small sparse model, for building broken variants."""
    model = build_model(SPARSE)
    return {
        'format': CHECKPOINT_FORMAT,
        'model_args': SPARSE.to_dict(),
        'state_dict': model.state_dict(),
        'epoch': 3,
    }


def _write(path: Path, obj: Any) -> Path:
    torch.save(obj, path)
    return path


@pytest.mark.parametrize('config', [SPARSE, DENSE], ids=['sparse', 'dense'])
def test_round_trip_gives_identical_outputs(tmp_path: Path, config: ModelConfig) -> None:
    model = _randomised(config)
    path = tmp_path / 'model.pt'
    save_checkpoint(path, model, config, epoch=7, metrics={'accuracy': 0.9, 'loss': [1.0, 0.5]})
    loaded = load_checkpoint(path, arch='ncars', task='classification')
    assert isinstance(loaded, LoadedCheckpoint)
    assert type(loaded.model) is type(model)
    assert not loaded.model.training
    assert loaded.config == config
    assert loaded.extra == {'epoch': 7, 'metrics': {'accuracy': 0.9, 'loss': [1.0, 0.5]}}
    assert torch.equal(_forward(loaded.model, config), _forward(model, config))
    assert [p.name for p in tmp_path.iterdir()] == ['model.pt']  # no partial file left behind


def test_round_trip_of_optimizer_and_scheduler_state(tmp_path: Path) -> None:
    model = build_model(DENSE)
    assert isinstance(model, DenseVGG)
    optimizer = torch.optim.Adam(model.fc.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    optimizer.step()
    scheduler.step()
    path = tmp_path / 'train.pt'
    save_checkpoint(
        path, model, DENSE, optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict()
    )
    extra = load_checkpoint(path).extra
    restored = torch.optim.Adam(DenseVGG(DENSE).fc.parameters(), lr=1.0)
    restored.load_state_dict(extra['optimizer'])
    assert restored.param_groups[0]['lr'] == pytest.approx(5e-4)
    exp_avg = restored.state_dict()['state'][0]['exp_avg']
    assert torch.equal(exp_avg, optimizer.state_dict()['state'][0]['exp_avg'])
    assert extra['scheduler'] == scheduler.state_dict()


def test_save_overwrites_an_existing_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / 'model.pt'
    save_checkpoint(path, build_model(DENSE), DENSE, epoch=1)
    save_checkpoint(path, build_model(DENSE), DENSE, epoch=2)
    assert load_checkpoint(path).extra == {'epoch': 2}


def test_save_rejects_a_reserved_extra_key(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"extra key 'state_dict' is reserved"):
        save_checkpoint(tmp_path / 'm.pt', build_model(DENSE), DENSE, state_dict={})


def test_save_rejects_extras_that_the_safe_loader_would_refuse(tmp_path: Path) -> None:
    with pytest.raises(
        CheckpointError,
        match=r"extra\['meta'\]\['when'\]\[1\] is a object; a checkpoint holds only tensors",
    ):
        save_checkpoint(tmp_path / 'm.pt', build_model(DENSE), DENSE, meta={'when': [1, object()]})
    assert not list(tmp_path.iterdir())


def test_save_rejects_subclasses_of_plain_types(tmp_path: Path) -> None:
    class Flag(int):
        pass

    with pytest.raises(CheckpointError, match=r"extra\['flag'\] is a Flag; a checkpoint holds"):
        save_checkpoint(tmp_path / 'm.pt', build_model(DENSE), DENSE, flag=Flag(1))


def test_save_rejects_a_model_built_from_another_config(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r'model was built from ModelConfig\(arch=.ncars'):
        save_checkpoint(tmp_path / 'm.pt', build_model(DENSE), SPARSE)


def test_save_rejects_a_missing_directory(tmp_path: Path) -> None:
    path = tmp_path / 'nowhere' / 'm.pt'
    with pytest.raises(
        CheckpointError, match=r'cannot write checkpoint .*nowhere.*does not exist'
    ):
        save_checkpoint(path, build_model(DENSE), DENSE)


def test_load_rejects_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r'checkpoint file .*absent\.pt does not exist'):
        load_checkpoint(tmp_path / 'absent.pt')


def test_load_rejects_a_directory(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r'checkpoint path .* is a directory, not a file'):
        load_checkpoint(tmp_path)


@pytest.mark.parametrize(
    'corrupt',
    [lambda b: b[: len(b) // 2], lambda b: b'not a checkpoint at all', lambda b: b''],
    ids=['truncated', 'garbage', 'empty'],
)
def test_load_rejects_a_corrupt_file(
    tmp_path: Path, payload: dict[str, Any], corrupt: Callable[[bytes], bytes]
) -> None:
    good = _write(tmp_path / 'good.pt', payload)
    bad = tmp_path / 'bad.pt'
    bad.write_bytes(corrupt(good.read_bytes()))
    with pytest.raises(
        CheckpointError, match=r'cannot read checkpoint .*bad\.pt: corrupt or truncated file'
    ) as info:
        load_checkpoint(bad)
    assert info.value.__cause__ is not None


class _Trap:
    """Pickles as a call to :func:`_spring`: loading it with the unsafe unpickler writes a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[[str], int], tuple[str]]:
        return (_spring, (str(self.marker),))


def _spring(path: str) -> int:
    return Path(path).write_text('code from the checkpoint ran')


def test_load_refuses_pickled_code_without_running_it(
    tmp_path: Path, payload: dict[str, Any]
) -> None:
    marker = tmp_path / 'sprung'
    path = _write(tmp_path / 'evil.pt', {**payload, 'trap': _Trap(marker)})
    with pytest.raises(
        CheckpointError,
        match=r'checkpoint .*evil\.pt was refused by the safe loader .*: it holds pickled code '
        r'or objects other than tensors and plain containers \(Unsupported global: .*_spring',
    ):
        load_checkpoint(path)
    assert not marker.exists()
    torch.load(path, weights_only=False)  # the trap is live: the unsafe loader runs it
    assert marker.read_text() == 'code from the checkpoint ran'


def test_load_rejects_an_unusable_map_location(tmp_path: Path, payload: dict[str, Any]) -> None:
    path = _write(tmp_path / 'm.pt', payload)
    with pytest.raises(CheckpointError, match=r"bad map_location 'gpu0': Invalid device string"):
        load_checkpoint(path, map_location='gpu0')
    if not torch.cuda.is_available():
        with pytest.raises(
            CheckpointError, match=r"map_location 'cuda' needs CUDA, which is not available"
        ):
            load_checkpoint(path, map_location='cuda')


def test_load_rejects_a_payload_that_is_not_a_dict(tmp_path: Path) -> None:
    path = _write(tmp_path / 'list.pt', [1, 2])
    with pytest.raises(
        CheckpointError, match=r'checkpoint .*list\.pt holds a list, expected a dict'
    ):
        load_checkpoint(path)


@pytest.mark.parametrize('key', ['format', 'model_args', 'state_dict'])
def test_load_rejects_a_missing_key(tmp_path: Path, payload: dict[str, Any], key: str) -> None:
    path = _write(tmp_path / 'm.pt', {k: v for k, v in payload.items() if k != key})
    with pytest.raises(CheckpointError, match=rf"checkpoint .*m\.pt is missing key '{key}'"):
        load_checkpoint(path)


def test_load_rejects_another_format(tmp_path: Path, payload: dict[str, Any]) -> None:
    path = _write(tmp_path / 'm.pt', {**payload, 'format': 'other/2'})
    with pytest.raises(
        CheckpointError, match=r"has format 'other/2', expected 'asynet_ros.checkpoint/1'"
    ):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ('model_args', 'match'),
    [
        ({**SPARSE.to_dict(), 'arch': 'vgg99'}, r"unknown arch 'vgg99'"),
        ({**SPARSE.to_dict(), 'depth': 3}, r"unknown model config keys \['depth'\]"),
        ({**SPARSE.to_dict(), 'class_names': 5}, r"'int' object is not iterable"),
        ('ncars', r'model config must be a dict, got str'),
    ],
    ids=['arch', 'key', 'type', 'not-dict'],
)
def test_load_rejects_bad_model_args(
    tmp_path: Path, payload: dict[str, Any], model_args: Any, match: str
) -> None:
    path = _write(tmp_path / 'm.pt', {**payload, 'model_args': model_args})
    with pytest.raises(CheckpointError, match=rf'checkpoint .*m\.pt has bad model_args: {match}'):
        load_checkpoint(path)


def test_load_rejects_another_arch_or_task(tmp_path: Path, payload: dict[str, Any]) -> None:
    path = _write(tmp_path / 'm.pt', payload)
    with pytest.raises(
        CheckpointError, match=r"checkpoint is for arch 'ncars', expected 'ncaltech101'"
    ):
        load_checkpoint(path, arch='ncaltech101')
    with pytest.raises(
        CheckpointError, match=r"checkpoint is for task 'classification', expected 'detection'"
    ):
        load_checkpoint(path, task='detection')


def _broken_state(payload: dict[str, Any], edit: str) -> dict[str, Any]:
    state = dict(payload['state_dict'])
    if edit == 'missing':
        del state['trunk.bn2_1.running_var']
    elif edit == 'unexpected':
        state['trunk.conv9_0.weight'] = torch.zeros(1)
    else:
        state['fc.weight'] = torch.zeros(3, 768)
    return state


@pytest.mark.parametrize(
    ('edit', 'match'),
    [
        ('missing', r"missing key 'trunk.bn2_1.running_var' \(1 missing\)"),
        ('unexpected', r"unexpected key 'trunk.conv9_0.weight' \(1 unexpected\)"),
        ('shape', r"key 'fc.weight' has shape \(3, 768\), model expects \(2, 768\)"),
    ],
)
def test_load_rejects_a_state_dict_of_another_architecture(
    tmp_path: Path, payload: dict[str, Any], edit: str, match: str
) -> None:
    path = _write(tmp_path / 'm.pt', {**payload, 'state_dict': _broken_state(payload, edit)})
    prefix = r"checkpoint .*m\.pt does not match arch 'ncars': state_dict"
    with pytest.raises(CheckpointError, match=rf'{prefix} .*{match}'):
        load_checkpoint(path)


def test_load_rejects_a_state_dict_that_is_not_a_dict(
    tmp_path: Path, payload: dict[str, Any]
) -> None:
    path = _write(tmp_path / 'm.pt', {**payload, 'state_dict': [1]})
    with pytest.raises(CheckpointError, match=r'state_dict is a list, expected a dict'):
        load_checkpoint(path)
