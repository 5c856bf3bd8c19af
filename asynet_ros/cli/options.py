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

"""Command-line options shared by the tools that run the pipeline (replay, detect)."""

from __future__ import annotations

import argparse
from typing import Any

from asynet_core.adaptive import UPDATE_MODES
from asynet_ros.pipeline import PipelineConfig

__all__ = ['add_pipeline_options', 'pipeline_config']


def add_pipeline_options(parser: argparse.ArgumentParser) -> None:
    """``--window-events``/``--window-us``, update policy, mode and thresholds."""
    g = parser.add_argument_group('pipeline')
    window = g.add_mutually_exclusive_group()
    window.add_argument('--window-events', type=int, help='window length in events')
    window.add_argument('--window-us', type=int, help='window length in microseconds')
    update = g.add_mutually_exclusive_group()
    update.add_argument('--update-every-events', type=int, help='an output every N events')
    update.add_argument('--update-every-us', type=int, help='an output every N us of sensor time')
    g.add_argument('--mode', choices=UPDATE_MODES, default='adaptive')
    g.add_argument('--score-threshold', type=float, default=0.3)
    g.add_argument('--iou-threshold', type=float, default=0.6)
    g.add_argument('--max-detections', type=int, default=100)
    g.add_argument('--resync-every', type=int, default=1000)


def pipeline_config(
    args: argparse.Namespace, trained: tuple[int | None, int | None] = (25_000, None)
) -> Any:
    """A validated :class:`PipelineConfig` from the parsed options.

    Args:
        args: the parsed options.
        trained: (window_events, window_us) the checkpoint was trained with, used when neither
            ``--window-events`` nor ``--window-us`` is given.
    """
    window_events, window_us = args.window_events, args.window_us
    if window_events is None and window_us is None:
        window_events, window_us = trained
    return PipelineConfig(
        window_events=window_events,
        window_us=window_us,
        update_every_events=args.update_every_events,
        update_every_us=args.update_every_us,
        mode=args.mode,
        score_threshold=args.score_threshold,
        iou_threshold=args.iou_threshold,
        max_detections=args.max_detections,
        resync_every=args.resync_every,
    )
