"""Studies of several series: one anatomy and one patient rendered under several contrast phases
or sequences, on one grid, with one label map.

A generator that can render series declares the names it knows (`series_names`) and takes the
chosen ones in `GeneratorOptions.series` (`generator.series`; None: one series, as always). Its
`render` then returns a `Study` whose image is (series, z, y, x) and whose `series` names them in
order. Everything the series share (anatomy, patient, tissue values, texture) is drawn once;
what a new acquisition would draw again (noise, and on MR the scan's own timings) is drawn per
series, from the study's render stream in series order.

Misregistration: real series of one study are a few seconds or minutes apart, and the patient
moves a little between them. `params.misregistration_mm` (0 by default: perfectly registered)
draws, per series after the first, a rigid shift of up to that many millimetres in a random
direction; the image of that series is resampled by it (linear interpolation) and the label map
stays registered to the first series. The shifts are recorded in `params.series_shift_mm`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import ndimage

from models.base import QC, Study
from models.errors import ParamError
from models.measure import Measurements
from models.options import Param, Setting

MAX_SERIES = 8
# The series options every series-capable generator takes (drawn only when series are chosen, after
# every other draw, so single-series studies keep their draws).
PARAMS: dict[str, Param] = {"misregistration_mm": Setting(0.0, limits=(0.0, 10.0))}


def check(given: Sequence[str] | None, known: Sequence[str], generator: str) -> tuple[str, ...] | None:
    """`generator.series` as this generator will render it; `ParamError` naming the entry it cannot."""
    if given is None:
        return None
    names = tuple(given)
    if not 1 <= len(names) <= MAX_SERIES:
        raise ParamError("series", f"must list 1 to {MAX_SERIES} series, got {len(names)}")
    for k, name in enumerate(names):
        if not isinstance(name, str) or name not in known:
            raise ParamError(f"series[{k}]", f"{generator} knows the series {list(known)}, got {name!r}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ParamError("series", f"lists {twice[0]!r} twice")
    return names


def refuse_options(series: tuple[str, ...] | None, given: Mapping[str, Any], steered: Sequence[str] = ()) -> None:
    """Series options given without `generator.series` are refused, not ignored; so are, with it,
    the `steered` parameters the series decide (a phase, a sequence)."""
    if series is None:
        for name in PARAMS:
            if name in given:
                raise ParamError(f"params.{name}", "applies to several series: set generator.series too")
        return
    for name in steered:
        if name in given:
            raise ParamError(f"params.{name}", "generator.series sets it for each series; give one or the other")


def draw(series: tuple[str, ...], limit_mm: float, rng: np.random.Generator) -> dict[str, Any]:
    """The params a study of several series records: the names in order and each one's shift."""
    return {"series": list(series), "series_shift_mm": draw_shifts(len(series), limit_mm, rng)}


def judged(results: Sequence[tuple[bool, tuple[str, ...]]], params: dict[str, Any]) -> tuple[bool, tuple[str, ...]]:
    """Quality control of a study from each series' (passed, failures): a single-series study's
    own; with several, it passes when every series passes, each failure named by its series."""
    if "series" not in params:
        return results[0]
    passed = all(ok for ok, _ in results)
    names = params["series"]
    failures = tuple(f"{name}: {f}" for name, (_, found) in zip(names, results, strict=True) for f in found)
    return passed, failures


def study(
    images: Sequence[np.ndarray],
    label: np.ndarray,
    spacing_mm: tuple[float, float, float],
    measured: Sequence[Measurements] | None,
    qc: QC,
    columns: dict[str, Any],
    params: dict[str, Any],
    timing: dict[str, Any] | None = None,
) -> Study:
    """The `Study` of one image per series (`measured`: one per series, or None for the worker):
    a single-series study's image as it always was, or the series stacked (series, z, y, x)."""
    first = measured[0] if measured else None
    if "series" not in params:
        return Study(images[0], label, spacing_mm, first, qc, columns, timing or {})
    every = tuple(measured) if measured else None
    return Study(np.stack(images), label, spacing_mm, first, qc, columns, timing or {}, tuple(params["series"]), every)


def draw_shifts(n_series: int, limit_mm: float, rng: np.random.Generator) -> list[list[float]]:
    """One rigid shift (z, y, x mm) per series: none for the first, then up to `limit_mm` each in a
    uniformly random direction (no draws at all when `limit_mm` is 0)."""
    shifts = [[0.0, 0.0, 0.0]]
    for _ in range(n_series - 1):
        if limit_mm <= 0:
            shifts.append([0.0, 0.0, 0.0])
            continue
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction) or 1.0
        shifts.append([round(float(v), 4) for v in direction * rng.uniform(0.0, limit_mm)])
    return shifts


def shift(image: np.ndarray, shift_mm: Sequence[float], spacing_mm: Sequence[float]) -> np.ndarray:
    """`image` moved by `shift_mm` (linear interpolation, edges extended), in its own dtype."""
    voxels = [float(s) / float(d) for s, d in zip(shift_mm, spacing_mm, strict=True)]
    if not any(voxels):
        return image
    moved = ndimage.shift(image.astype(np.float32), voxels, order=1, mode="nearest")
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        np.rint(moved, out=moved)
        np.clip(moved, info.min, info.max, out=moved)
    return moved.astype(image.dtype)


def moved(images: Sequence[np.ndarray], params: dict[str, Any], spacing_mm: Sequence[float]) -> list[np.ndarray]:
    """Each series' image moved by its recorded shift (a single-series study's as it is)."""
    if "series" not in params:
        return list(images)
    return [shift(image, s, spacing_mm) for image, s in zip(images, params["series_shift_mm"], strict=True)]
