"""SynthSeg-style brain MRI (see `generator`): template labels, spatial and intensity
randomisation, simulated acquisition."""

from models.brain_mr.generator import BrainMR

__all__ = ["BrainMR"]
