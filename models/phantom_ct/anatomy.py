"""The torso as one painted list of structures, in anatomical priority.

Structures are painted in list order; a structure's `within` restricts it to voxels whose tissue
is one of those named, which is how organs stay inside the body cavity and displace each other.
Order: body wall, muscles, chest, abdomen, pelvis, vessels, bones, lesions.
"""

from __future__ import annotations

import numpy as np

from models.phantom_ct import lesions
from models.phantom_ct.abdomen import abdomen
from models.phantom_ct.body import Body, Frame, Jitter, Structure, body_wall, diaphragm
from models.phantom_ct.musculature import musculature
from models.phantom_ct.pelvis import pelvis
from models.phantom_ct.skeleton import rib_cage, spine
from models.phantom_ct.thorax import thorax
from models.phantom_ct.vessels import vessels


def build(body: Body, rng: np.random.Generator) -> list[Structure]:
    """Every structure of the torso, in painting order."""
    frame, jit = Frame(body), Jitter(rng)
    dome = diaphragm(body, frame, jit)
    parts = body_wall(body, frame)
    parts += musculature(frame, jit)
    parts += thorax(body, frame, jit, dome)
    parts += abdomen(body, frame, jit, dome)
    parts += pelvis(body, frame, jit)
    parts += vessels(frame, jit)
    parts += spine(frame)
    parts += rib_cage(frame, jit)
    parts += lesions.paint(body.lesions, frame)
    return parts
