"""Benchmarks: one script per target, printing the figure and its ratio against the named baseline."""
