"""`body_mr`: MRI of chest, abdomen and pelvis from tissue physics, with voxel-exact MAISI labels."""

from models.body_mr.generator import BodyMR

__all__ = ["BodyMR"]
