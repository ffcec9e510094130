"""Benchmarks: scripts that measure tyndau and write their figures to bench/results/."""
