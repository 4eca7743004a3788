"""A dataset report a person can read in a minute: `build(catalog, out)` writes one HTML page."""

from pipeline.report.build import build

__all__ = ["build"]
