"""Procedural torso CT (see `generator`): anatomy, tissue HU, CT image formation."""

from models.phantom_ct.generator import PhantomCT

__all__ = ["PhantomCT"]
