"""Benchmarks: `python -m jobs.bench NAME` prints a table and writes bench/results/NAME.json."""
