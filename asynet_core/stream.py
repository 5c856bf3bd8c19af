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

"""Events in, model outputs out: a sliding window, an incremental representation and the engine.

This is the event-level entry of the asynchronous engine::

    stream = EventStream.from_model(model, SensorSize(240, 180), window_events=25_000)
    out = stream.push(events)        # EVENT_DTYPE array, time-sorted, t in microseconds

Every ``push`` returns the output of the model on the representation of the current window;
``output()`` returns it again, ``resync()`` rebuilds the engine's state exactly, ``clear()``
empties the window and ``reset()`` forgets the stream.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from asynet_core.engine.engine import AsyncEngine
from asynet_core.events import SensorSize
from asynet_core.representations import (
    EventRepresentation,
    InputMapping,
    make_representation,
    RepresentationState,
    SiteUpdate,
)
from asynet_core.window import SlidingWindow, WindowSpec

__all__ = ['EventStream', 'Updater', 'apply_site_update']


class Updater(Protocol):
    """Applies an input update: an :class:`AsyncEngine`, or an ``AdaptiveUpdater`` of one."""

    def update(self, sites: Any, values: Any, active: Any = None) -> torch.Tensor:
        """Apply the update; return the output."""


def apply_site_update(engine: Updater, update: SiteUpdate) -> torch.Tensor:
    """Feed a representation's :class:`SiteUpdate` to the engine (or updater); the output."""
    sites = np.stack([update.rows, update.cols], axis=1)  # [N, 2]
    return engine.update(sites, update.values, update.active)


class EventStream:
    """One event stream: window -> representation update -> asynchronous engine.

    Args:
        engine: the engine; its state is this stream's.
        representation: the incremental representation.
        window: the sliding window's policy. The window's events are held once, in the
            representation state (:attr:`rep_state`); :attr:`window` slides over them.
        updater: applies each update instead of ``engine.update`` (an
            :class:`~asynet_core.adaptive.AdaptiveUpdater` of the same engine, which may recompute
            instead); its ``last_mode`` tells how the last update went.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        representation: EventRepresentation,
        window: WindowSpec | SlidingWindow,
        updater: Updater | None = None,
    ) -> None:
        self.engine = engine
        self.representation = representation
        self.updater = updater
        self.rep_state: RepresentationState = representation.init_state()
        spec = window.spec if isinstance(window, SlidingWindow) else window  # its policy only
        self.window = SlidingWindow.of(spec, buffer=self.rep_state.window)

    @classmethod
    def from_model(
        cls,
        model: nn.Module,
        sensor: SensorSize,
        *,
        window_events: int | None = None,
        window_us: int | None = None,
        dtype: torch.dtype = torch.float32,
        resync_every: int | None = None,
    ) -> EventStream:
        """Stream for a trained SparseVGG; the representation comes from the model's config."""
        engine = AsyncEngine.from_model(model, dtype, resync_every)
        config = engine.net.config
        rep = make_representation(config.representation, InputMapping(sensor, config.input_size))
        return cls(engine, rep, WindowSpec(window_events, window_us))

    def push(self, events: np.ndarray) -> torch.Tensor:
        """Add time-sorted events; return the output for the new window."""
        change = self.window.change(events)
        # The representation moves the window's one buffer, or raises with nothing moved.
        update = self.representation.update(self.rep_state, change.added, change.removed)
        self.window.mark(events)
        return apply_site_update(self.updater or self.engine, update)

    def output(self) -> torch.Tensor:
        """The output for the current window, without any update."""
        return self.engine.output()

    def resync(self) -> torch.Tensor:
        """Rebuild the engine's state from the current window exactly; return the output."""
        return self.engine.resync()

    def clear(self) -> torch.Tensor:
        """Empty the window, keeping its time; return the output of an empty input (exactly).

        Unlike :meth:`reset`, later pushes must continue in time.
        """
        change = self.window.cleared()
        update = self.representation.update(self.rep_state, change.added, change.removed)
        return apply_site_update(self.engine, update)

    def current_input(self) -> np.ndarray:
        """The representation of the current window, float32 ``[H, W, C]`` (a copy)."""
        return self.rep_state.map.copy()

    def reset(self) -> None:
        """Forget everything: empty window, representation and engine state."""
        self.rep_state = self.representation.init_state()
        self.window = SlidingWindow.of(self.window.spec, buffer=self.rep_state.window)
        self.engine.reset()
