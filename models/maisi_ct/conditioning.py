"""What MAISI's networks are given: the label map as 8 bit planes, in MAISI's axis order.

medsynth volumes are (z, y, x) with x towards the patient's left and y posterior (LPS); MAISI's
networks were trained on NIfTI arrays reoriented to RAS and indexed (x, y, z). `to_maisi` and
`from_maisi` convert between the two without resampling (a transpose and two flips).

The ControlNet sees label value v as its binary code: channel i is bit i of v (MAISI's
`binarize_labels`, 8 bits, so values up to 255; MAISI's largest, body, is 200).
"""

from __future__ import annotations

import numpy as np
import torch

BITS = 8


def to_maisi(volume_zyx: np.ndarray) -> np.ndarray:
    """(z, y, x) LPS -> (x, y, z) RAS: x towards the right, y anterior, z superior."""
    return np.ascontiguousarray(volume_zyx.transpose(2, 1, 0)[::-1, ::-1, :])


def from_maisi(volume_xyz: np.ndarray) -> np.ndarray:
    """The inverse of `to_maisi`."""
    return np.ascontiguousarray(volume_xyz[::-1, ::-1, :].transpose(2, 1, 0))


def spacing_to_maisi(spacing_zyx: tuple[float, float, float]) -> tuple[float, float, float]:
    return (float(spacing_zyx[2]), float(spacing_zyx[1]), float(spacing_zyx[0]))


def encode_labels(label_xyz: torch.Tensor) -> torch.Tensor:
    """(X, Y, Z) uint8 labels -> (1, 8, X, Y, Z) uint8 of 0/1, channel i = bit i (least significant
    first). Built one plane at a time: a 512 x 512 x 768 map needs 1.6 GB, not the 6 GB of int32."""
    if label_xyz.ndim != 3 or label_xyz.dtype != torch.uint8:
        raise ValueError(f"expected a 3-D uint8 label map, got {tuple(label_xyz.shape)} {label_xyz.dtype}")
    planes = torch.empty((1, BITS, *label_xyz.shape), dtype=torch.uint8, device=label_xyz.device)
    for bit in range(BITS):
        torch.bitwise_and(torch.bitwise_right_shift(label_xyz, bit), 1, out=planes[0, bit])
    return planes
