"""Synthetic world generator: a deterministic Chinese consumer-lending world for the demo, tests and benchmarks."""
