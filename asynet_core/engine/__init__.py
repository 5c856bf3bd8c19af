"""The exact asynchronous engine: converted layers, explicit stream state, vectorised updates."""

from asynet_core.engine.engine import AsyncEngine, AsyncSparseVGG, AsyncTrunk
from asynet_core.engine.state import AsyncState, LayerStats

__all__ = ['AsyncEngine', 'AsyncSparseVGG', 'AsyncState', 'AsyncTrunk', 'LayerStats']
