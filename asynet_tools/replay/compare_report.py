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

"""``asynet-replay-compare``'s table (Markdown) and plot (PNG) of ``compare.json``."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from asynet_core.cli import write_atomically

__all__ = ['PLOT_DPI', 'PLOT_SIZE_IN', 'latency_aware_map', 'markdown_table', 'offline_map',
           'write_plot']  # fmt: skip

#: The plot's size (inches) and resolution: 800 x 500 pixels.
PLOT_SIZE_IN = (8.0, 5.0)
PLOT_DPI = 100

RunsByScale = dict[float | None, dict[str, Any]]  # compute scale (None: offline) -> run


def offline_map(run: dict[str, Any] | None) -> float | None:
    """A run's classic VOC mAP@0.5 (``None``: no run, or no score)."""
    return _finite(((run or {}).get('metrics') or {}).get('voc_map50'))


def latency_aware_map(run: dict[str, Any] | None) -> float | None:
    """A real-time run's latency-aware VOC mAP@0.5 (``None``: no run, or no score)."""
    return _finite(_latency_aware(run).get('voc_map50'))


def _latency_aware(run: dict[str, Any] | None) -> dict[str, Any]:
    return ((run or {}).get('metrics') or {}).get('latency_aware') or {}


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _by_mode(document: dict[str, Any]) -> dict[str, RunsByScale]:
    """The runs done, by mode then compute scale, every planned mode present."""
    table: dict[str, RunsByScale] = {mode: {} for mode in document['modes']}
    for run in document['runs']:
        table.setdefault(run['mode'], {})[run['compute_scale']] = run
    return table


def _cell(value: float | None, digits: int) -> str:
    return '-' if value is None else f'{value:.{digits}f}'


def markdown_table(document: dict[str, Any]) -> str:
    """A caption and one row per mode: offline mAP, latency-aware mAP per scale, age, rate.

    mAPs have three decimals; the age at availability (p50, ms) and the output rate (Hz of
    sensor time) one, listed per scale as ``a / b / c``. A run not done is ``-``.
    """
    scales = document['compute_scales']
    per = ' / '.join(f'x{s:g}' for s in scales)
    header = ['mode', 'offline mAP@0.5', *(f'x{s:g} mAP@0.5' for s in scales),
              f'age p50 ms ({per})', f'output Hz ({per})']  # fmt: skip
    lines = [_caption(document), '', _row(header), _row(['---'] * len(header))]
    for mode, runs in _by_mode(document).items():
        realtime = [runs.get(s) for s in scales]
        ages = [_cell(_finite(_latency_aware(r).get('age_ms_p50')), 1) for r in realtime]
        rates = [_cell(_finite(_latency_aware(r).get('output_rate_hz')), 1) for r in realtime]
        cells = [mode, _cell(offline_map(runs.get(None)), 3)]
        cells += [_cell(latency_aware_map(r), 3) for r in realtime]
        lines.append(_row([*cells, ' / '.join(ages), ' / '.join(rates)]))
    return '\n'.join(lines) + '\n'


def _caption(document: dict[str, Any]) -> str:
    name = _bag_name(document)
    done = '' if document['complete'] else f' (incomplete: {document["stopped"]})'
    return (
        f'VOC mAP@0.5 on `{name}`{done}: offline (one update per message, compute time '
        'ignored) and latency-aware at compute scale xN (each update costs N times its time '
        'on this machine; a label is scored against the newest output available then). Age: '
        "from an output's newest event to its availability; output Hz: per second of sensor "
        'time.'
    )


def _bag_name(document: dict[str, Any]) -> str:
    """The recording's last two path parts: ``demo/bag``, not just ``bag``."""
    parts = Path(document['bag']).parts
    return str(Path(*parts[-2:])) if parts else document['bag']


def _row(cells: list[str]) -> str:
    return '| ' + ' | '.join(cells) + ' |'


def write_plot(document: dict[str, Any], path: Path) -> None:
    """Latency-aware mAP@0.5 against the compute scale (log x), one line per mode (PNG).

    Each mode's offline score is a dashed line of its colour. The file is written atomically.
    """
    from matplotlib.figure import Figure  # the Agg canvas; no pyplot, no global state

    fig = Figure(figsize=PLOT_SIZE_IN, dpi=PLOT_DPI)
    ax = fig.add_subplot()
    scales = document['compute_scales']
    modes = _by_mode(document)
    for index, (mode, runs) in enumerate(modes.items()):
        colour = f'C{index}'
        maps = [latency_aware_map(runs.get(s)) for s in scales]
        ys = [math.nan if m is None else m for m in maps]
        ax.plot(scales, ys, marker='o', color=colour, label=f'{mode} latency-aware')
        offline = offline_map(runs.get(None))
        if offline is not None:
            ax.axhline(offline, linestyle=_dashes(index, len(modes)), linewidth=1.2,
                       color=colour, label=f'{mode} offline')  # fmt: skip
    _scale_axis(ax, scales)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel('compute scale: each update costs x times its measured time here')
    ax.set_ylabel('VOC mAP@0.5')
    ax.set_title(f'{_bag_name(document)}: latency-aware accuracy vs. hardware speed')
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize='small', loc='upper left', bbox_to_anchor=(1.01, 1.0))  # off the lines
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=PLOT_DPI)
    write_atomically(path, buffer.getvalue())


def _dashes(index: int, count: int) -> tuple[float, tuple[float, float]]:
    """Dashes of mode ``index`` of ``count``, interleaved: equal offline scores stay visible."""
    dash = 4.0
    return (index * dash, (dash, dash * (max(count, 2) - 1)))


def _scale_axis(ax: Any, scales: list[float]) -> None:
    """A log x axis ticked at the scales (symlog when 0, free compute, is one of them)."""
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

    positive = [s for s in scales if s > 0]
    if len(positive) < len(scales):
        ax.set_xscale('symlog', linthresh=min(positive, default=1.0))
    else:
        ax.set_xscale('log')
    ax.xaxis.set_major_locator(FixedLocator(scales))
    ax.xaxis.set_major_formatter(FixedFormatter([f'x{s:g}' for s in scales]))
    ax.xaxis.set_minor_locator(NullLocator())
