"""MAISI (NV-Generate-CT) CT from medsynth label maps, on GPU workers (see `generator`)."""

from models.maisi_ct.generator import MaisiCT

__all__ = ["MaisiCT"]
