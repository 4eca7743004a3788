"""Output sizes MAISI accepts, and how the autoencoder decode is split to fit a GPU's memory.

The decode runs the autoencoder over the latent in overlapping windows (MONAI's sliding-window
inferer, Gaussian blending) and splits each window's convolutions into `num_splits` pieces along
one axis. MAISI ships one inference config per (GPU memory, output size); `decode_plan` picks the
one a worker's GPU can hold for the output it is making, as choosing that file by hand would.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import ParamError
from models.maisi_ct.networks import maisi_config

XY_SIZES = (256, 384, 512)
MAX_Z = 768
SPACING_XY = (0.5, 3.0)
SPACING_Z = (0.5, 5.0)


@dataclass(frozen=True)
class DecodePlan:
    roi: tuple[int, int, int]  # window, in latent voxels (x, y, z)
    overlap: float
    num_splits: int
    source: str  # which MAISI config it follows


# MAISI's config_infer_<memory>g_<x>x<y>x<z>.json (NV-Generate-CT, configs/): memory (GiB), output
# size (x, y, z), then autoencoder_sliding_window_infer_size, _overlap and autoencoder_tp_num_splits.
MEMORY_CONFIGS: tuple[tuple[int, tuple[int, int, int], tuple[int, int, int], float, int], ...] = (
    (16, (256, 256, 128), (96, 96, 96), 0.25, 2),
    (16, (256, 256, 256), (48, 48, 64), 0.6666, 4),
    (16, (512, 512, 128), (64, 64, 32), 0.5, 2),
    (24, (256, 256, 256), (64, 64, 64), 0.25, 4),
    (24, (512, 512, 128), (80, 80, 32), 0.4, 2),
    (24, (512, 512, 512), (64, 64, 48), 0.4, 2),
    (32, (512, 512, 512), (80, 80, 48), 0.4, 4),
    (80, (512, 512, 512), (80, 80, 80), 0.4, 4),
    (80, (512, 512, 768), (80, 80, 96), 0.4, 4),
)


def check_size(shape_zyx: tuple[int, ...], multiple: int, field: str = "shape") -> None:
    """MAISI's sizes: x = y in {256, 384, 512}; z a multiple of the network's stride, at most 768."""
    if len(shape_zyx) != 3:
        raise ParamError(field, f"maisi_ct takes 3 sizes (z, y, x), got {list(shape_zyx)}")
    z, y, x = (int(n) for n in shape_zyx)
    if x != y or x not in XY_SIZES:
        raise ParamError(field, f"maisi_ct needs x = y in {list(XY_SIZES)}, got (z, y, x) = {list(shape_zyx)}")
    if z % multiple or not multiple <= z <= MAX_Z:
        raise ParamError(field, f"maisi_ct needs z a multiple of {multiple} within [{multiple}, {MAX_Z}], got z = {z}")


def check_spacing(spacing_zyx: tuple[float, ...], field: str = "spacing_mm") -> None:
    """MAISI's spacings: x = y within [0.5, 3] mm, z within [0.5, 5] mm."""
    if len(spacing_zyx) != 3:
        raise ParamError(field, f"maisi_ct takes 3 spacings (z, y, x) in mm, got {list(spacing_zyx)}")
    z, y, x = (float(s) for s in spacing_zyx)
    if abs(x - y) > 1e-3 or not SPACING_XY[0] <= x <= SPACING_XY[1]:
        raise ParamError(field, f"maisi_ct needs x = y spacing within {list(SPACING_XY)} mm, got {list(spacing_zyx)}")
    if not SPACING_Z[0] <= z <= SPACING_Z[1]:
        raise ParamError(field, f"maisi_ct needs z spacing within {list(SPACING_Z)} mm, got {list(spacing_zyx)}")


def decode_plan(size_xyz: tuple[int, int, int], gpu_gib: float | None) -> DecodePlan:
    """MAISI's config for the largest memory that fits `gpu_gib` and the smallest output that holds
    `size_xyz` (the largest output when none does). No GPU: MAISI's default `config_infer.json`."""
    if gpu_gib is None:
        infer = maisi_config("config_infer")
        splits = int(maisi_config("config_network_rflow")["autoencoder_def"]["num_splits"])
        roi = tuple(int(n) for n in infer["autoencoder_sliding_window_infer_size"])
        return DecodePlan(roi, float(infer["autoencoder_sliding_window_infer_overlap"]), splits, "config_infer")  # type: ignore[arg-type]
    smallest = MEMORY_CONFIGS[0][0]
    fitting = [c for c in MEMORY_CONFIGS if c[0] <= gpu_gib] or [c for c in MEMORY_CONFIGS if c[0] == smallest]
    voxels = size_xyz[0] * size_xyz[1] * size_xyz[2]
    holding = [c for c in fitting if _voxels(c[1]) >= voxels]
    if holding:
        memory, size, roi, overlap, splits = min(holding, key=lambda c: (_voxels(c[1]), -c[0]))
    else:
        memory, size, roi, overlap, splits = max(fitting, key=lambda c: (_voxels(c[1]), c[0]))
    return DecodePlan(roi, overlap, splits, f"config_infer_{memory}g_{size[0]}x{size[1]}x{size[2]}")


def _voxels(size: tuple[int, int, int]) -> int:
    return size[0] * size[1] * size[2]
