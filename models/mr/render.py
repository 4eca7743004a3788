"""One MR study's series from its tissue map: the step body_mr and brain_mr's physics share.

Every series of a study images the same tissues with the same drawn properties, texture and coil
field (`models.mr.image.Fields`); each has its own sequence, gadolinium (only `_gd` series carry
the agent), SNR and scan noise. Each series is measured and ranked by quality control on its own
(`models.mr.qc`); the study passes when every series does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models import series as study_series
from models.labels import LabelDict
from models.measure import Measurements, measure
from models.mr import qc
from models.mr.image import Acquired, draw_fields, form_series
from models.mr.sequence import Sequence as MRSequence
from models.mr.signal import enhance
from models.mr.tissue import Properties


def acquisitions(
    params: dict[str, Any], resolution_mm: tuple[float, float, float]
) -> list[tuple[MRSequence, Acquired]]:
    """Each series' (sequence, acquisition) as the study's params record them (its one for a
    single-series study); `resolution_mm`: the scan's, shared by the series."""
    each = params.get("series_acquisitions") or [{"sequence": params["sequence"], "snr": params["snr"]}]
    bias = float(params["bias"])
    return [(MRSequence.from_json(a["sequence"]), Acquired(resolution_mm, bias, float(a["snr"]))) for a in each]


@dataclass(frozen=True)
class Imaged:
    images: list[np.ndarray]  # one uint16 (z, y, x) per series, each moved by its recorded shift
    measured: list[Measurements]
    passed: bool
    failures: tuple[str, ...]


def image_series(
    tissue: np.ndarray,
    label: np.ndarray,
    labels: LabelDict,
    checked: Sequence[str],
    acquisitions: Sequence[tuple[MRSequence, Acquired]],
    props: Properties,
    share: Callable[[MRSequence], np.ndarray],
    params: dict[str, Any],
    rng: np.random.Generator,
) -> Imaged:
    """Image `tissue` under each (sequence, acquisition); `share(sequence)`: each tissue's share of
    blood's gadolinium on that sequence; `params`: the study's (its spacing, its series shifts)."""
    spacing = (float(params["spacing_mm"][0]), float(params["spacing_mm"][1]), float(params["spacing_mm"][2]))
    fields = draw_fields(tissue.shape, spacing, acquisitions[0][1].bias, rng)
    body = label > 0
    formed = [
        form_series(tissue, body, seq, enhance(props, seq, share(seq)), spacing, acquired, fields, rng)
        for seq, acquired in acquisitions
    ]
    images = study_series.moved([f.image for f in formed], params, spacing)
    measured, results = [], []
    for image, f, (_, acquired) in zip(images, formed, acquisitions, strict=True):
        measured.append(measure(image, label, spacing, labels))
        expected = qc.expected_medians(label, tissue, f.signals, f.coil, labels, checked)
        result = qc.check(image, measured[-1].labels, expected, qc.noise_level(expected, acquired.snr))
        results.append((result.passed, result.failures))
    return Imaged(images, measured, *study_series.judged(results, params))
