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

"""benchmarks/long_run_drift.py: bounded drift run, lazy stream, exact oracle, CLI and JSON."""

from __future__ import annotations

import itertools
import json
import math
import pathlib

import numpy as np
import pytest
import torch

from asynet_benchmarks.long_run_drift import (
    build_model,
    DriftRun,
    event_segments,
    main,
    run_drift,
    SEGMENT_EVENTS,
    update_batches,
)
from asynet_core.engine import AsyncEngine
from asynet_core.events import (
    check_event_array,
    check_in_sensor,
    concatenate_events,
    SensorSize,
)
from asynet_core.spconv_compat import spconv_single_thread
from checkout import ROOT

NCARS = SensorSize(120, 100)
TINY = ['--events', '20000', '--window', '2000', '--update-events', '100']


def test_resync_engine_stays_within_1e4_of_exact_at_every_checkpoint() -> None:
    lines: list[str] = []
    # 2e5 events, 400 per update: 500 updates, resync and checkpoint every 50 updates.
    report = run_drift('ncars', 200_000, 5000, 400, 50, 50, seed=3, log=lines.append)
    checks = report['checkpoints']
    assert report['summary']['updates'] == 500
    assert report['summary']['resyncs'] == 10
    assert [c['update'] for c in checks] == [*range(49, 500, 50), 500]
    assert all(c['since_resync'] == 49 for c in checks[:-1])  # just before each resync
    assert all(c['rel_err_resync'] <= 1e-4 for c in checks)
    assert all(math.isfinite(c['rel_err_no_resync']) for c in checks)
    assert report['summary']['resync_within_target'] is True
    assert len(lines) == 1 + 3  # header, first, 10th checkpoint, final


def test_reference_agrees_with_a_fresh_float64_engine() -> None:
    """Two exact paths, spconv and the engine's dense resync, agree on a slid window."""
    model = build_model('ncars', seed=4)
    run = DriftRun.create(model, NCARS, window=3000, resync=50)
    fresh = AsyncEngine.from_model(run.reference, torch.float64)
    with spconv_single_thread():  # as run_drift: spconv is exact only single-threaded
        for batch in itertools.islice(update_batches(event_segments(NCARS, 20_000, 4), 100), 120):
            run.step(batch)
        counts = run.rep_state.map
        rows, cols = np.nonzero(counts.any(axis=2))
        ref = run.exact()
        dense = fresh.recompute(np.stack([rows, cols], axis=1), counts[rows, cols])
    assert float((dense - ref).abs().max()) <= 1e-9 * float(ref.abs().max())


def test_event_segments_are_sorted_counted_and_inside_the_sensor() -> None:
    segments = list(event_segments(NCARS, 2 * SEGMENT_EVENTS + 5, seed=1))
    assert [len(s) for s in segments] == [SEGMENT_EVENTS, SEGMENT_EVENTS, 5]
    events = concatenate_events(segments)
    assert bool(np.all(np.diff(events['t']) >= 0))
    check_in_sensor(events, NCARS)


def test_update_batches_regroup_without_losing_events() -> None:
    chunks = list(event_segments(NCARS, 1000, seed=2))
    chunks = [chunks[0][:250], chunks[0][250:251], chunks[0][251:]]
    batches = list(update_batches(chunks, 300))
    assert [len(b) for b in batches] == [300, 300, 300, 100]
    for batch in batches:
        check_event_array(batch)  # the padded EVENT_DTYPE survives regrouping
    assert np.array_equal(concatenate_events(batches), concatenate_events(chunks))


def test_main_runs_end_to_end_and_writes_json(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / 'drift.json'
    argv = [*TINY, '--check-every', '50', '--resync-every', '50', '--json', str(out)]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    summary = report['summary']
    assert report['config']['events'] == 20000
    assert summary['updates'] == 200
    assert summary['max_rel_err_resync'] <= 1e-4
    assert math.isfinite(summary['max_rel_err_no_resync'])
    assert summary['rss_end_mb'] > 0
    assert summary['events_per_s_resync'] > 0
    assert len(report['checkpoints']) == 5  # updates 49, 99, 149, 199 and the last
    assert 'target <= 1e-04: met' in capsys.readouterr().out


@pytest.mark.parametrize(
    ('extra', 'message'),
    [
        (['--update-events', '2000'], r'--update-events 2000 must be smaller than --window'),
        (['--events', '2000'], r'--events 2000 must exceed --window 2000'),
        (['--check-every', '0'], r'--check-every: must be >= 1, got 0'),
    ],
)
def test_main_rejects_bad_arguments(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*TINY, *extra])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_a_recording_in_a_loop_with_the_bundled_checkpoint_and_the_event_queue(
    tmp_path: pathlib.Path,
) -> None:
    from asynet_training.formats import write_dat

    recording = tmp_path / 'rec.dat'
    write_dat(recording, concatenate_events(list(event_segments(NCARS, 3000, seed=5))))
    report = run_drift(
        'ncars', 9000, 2000, 100, 30, 1000, 0, log=lambda _: None,
        representation='event_queue', recording=recording,
    )  # fmt: skip
    assert report['config']['representation'] == 'event_queue'
    assert report['summary']['events'] == 9000  # three loops of the 3000-event recording
    assert report['summary']['max_rel_err_no_resync'] <= 1e-4
    checkpoint = ROOT / 'asynet_ros/models/synthetic_det.pt'
    report = run_drift(
        'ncars', 4000, 2000, 200, 10, 1000, 0, log=lambda _: None,
        recording=recording, checkpoint=checkpoint,
    )  # fmt: skip
    assert report['config']['arch'] == 'small_det'  # the checkpoint decides
    assert report['summary']['max_rel_err_no_resync'] <= 1e-4
