"""Output sizes MAISI accepts, and how the autoencoder decode is split to fit a GPU's memory.

The decode runs the autoencoder over the latent in overlapping windows (MONAI's sliding-window
inferer, Gaussian blending) and splits each window's convolutions into `num_splits` pieces along
one axis. MAISI ships one inference config per (GPU memory, output size), up to 80 GB cards;
`decode_plan` picks the one a worker's share of a GPU can hold for the output it is making, as
choosing that file by hand would. A share larger than MAISI's largest configs (an H200's 139 GiB)
gets the window from MAISI's published peak memories (`peak_gib`): the whole latent in one window
where it fits, which has no seams at all, else the window that needs the fewest passes. MAISI's
README says why a larger window is the better one: smaller windows "may introduce stitching
artifact and [have a] larger impact on the generated image quality".
"""

from __future__ import annotations

import math
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


# MAISI's README (Project-MONAI/tutorials generation/maisi, "Inference Time Cost and GPU Memory
# Usage", A100 80G): peak GPU memory of a whole inference (networks included; the peak is the
# decode) against the window in latent voxels, for its rows with autoencoder_tp_num_splits 4.
PEAKS_SPLITS_4: tuple[tuple[tuple[int, int, int], float], ...] = (
    ((64, 64, 64), 22.0),  # 256x256x256, one window
    ((128, 128, 32), 37.0),  # 512x512x128, one window
    ((80, 80, 112), 55.0),  # 512x512x768
)
LARGE_OVERLAP, LARGE_SPLITS = 0.4, 4  # those of MAISI's 80 GB configs
WINDOW_STEP = 16  # MAISI: sliding-window sizes "need to be divisible by 16"
HEADROOM = 0.9  # a plan may take this share of the memory it plans for


def peak_gib(window_voxels: int) -> float:
    """Peak GPU memory of a decode window (latent voxels): the least-squares line through MAISI's
    published peaks, raised by its largest miss, so that every published peak lies under it."""
    xs = [float(math.prod(roi)) for roi, _ in PEAKS_SPLITS_4]
    ys = [peak for _, peak in PEAKS_SPLITS_4]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    lift = max(y - (my + slope * (x - mx)) for x, y in zip(xs, ys, strict=True))
    return my + lift + slope * (window_voxels - mx)


def windows(latent_xyz: tuple[int, int, int], roi: tuple[int, int, int], overlap: float) -> int:
    """How many windows MONAI's sliding-window inferer runs (`dense_patch_slices`: along each axis
    a window every int(roi x (1 - overlap)) voxels until one reaches the end)."""
    count = 1
    for n, r in zip(latent_xyz, roi, strict=True):
        if r < n:
            count *= math.ceil((n - r) / max(int(r * (1 - overlap)), 1)) + 1
    return count


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


def decode_plan(size_xyz: tuple[int, int, int], gpu_gib: float | None, stride: int = 4) -> DecodePlan:
    """The decode for an output of `size_xyz` voxels on `gpu_gib` of GPU memory. Up to MAISI's
    largest card: MAISI's config for the largest memory that fits and the smallest output that holds
    `size_xyz` (the largest output when none does). Beyond: `large_plan`. None (no GPU): MAISI's
    default `config_infer.json`."""
    if gpu_gib is not None and gpu_gib > max(c[0] for c in MEMORY_CONFIGS):
        return large_plan(tuple(n // stride for n in size_xyz), gpu_gib)  # type: ignore[arg-type]
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


def large_plan(latent_xyz: tuple[int, int, int], gpu_gib: float) -> DecodePlan:
    """The window (multiples of 16 latent voxels, or a whole axis) with the fewest passes whose peak
    fits in `HEADROOM` of `gpu_gib`, the smaller of equals; MAISI's 80 GB overlap and splits."""
    budget = HEADROOM * gpu_gib
    sides = [sorted({*range(WINDOW_STEP, n, WINDOW_STEP), n}) for n in latent_xyz]
    fitting = [(x, y, z) for x in sides[0] for y in sides[1] for z in sides[2] if peak_gib(x * y * z) <= budget] or [
        (WINDOW_STEP,) * 3
    ]
    roi = min(fitting, key=lambda r: (windows(latent_xyz, r, LARGE_OVERLAP), math.prod(r)))
    source = f"peaks_{gpu_gib:.0f}g_{roi[0]}x{roi[1]}x{roi[2]}"
    return DecodePlan(roi, LARGE_OVERLAP, LARGE_SPLITS, source)  # type: ignore[arg-type]


def _voxels(size: tuple[int, int, int]) -> int:
    return size[0] * size[1] * size[2]
