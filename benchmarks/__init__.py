"""Benchmarks of asynet_core: asynchronous updates against dense recomputation."""
