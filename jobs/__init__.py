"""Entry points: `python -m jobs.<name>` and the `medsynth <name>` console script."""
