"""One MR study's series: each series images the same tissues under its own sequence, measured
and ranked by QC on its own; gadolinium reaches only `_gd` series; the study passes when every
series does."""

import numpy as np

from models.mr.render import acquisitions, image_series
from models.mr.sequence import sample_sequence
from models.mr.tissue import INDEX, NAMES, sample_properties
from tests.models.mr.phantom import LABELS, SPACING, phantom

CHECKED = ("liver", "gallbladder", "left gluteus maximus")


def params(*names: str) -> dict:
    rng = np.random.default_rng(1)
    each = [
        {
            "sequence": sample_sequence(n, 1.5, {}, "portal_venous" if n.endswith("_gd") else None, rng).to_json(),
            "snr": 40.0,
        }
        for n in names
    ]
    return {
        "spacing_mm": list(SPACING),
        "bias": 0.0,
        "sequence": each[0]["sequence"],
        "snr": 40.0,
        **(
            {"series": list(names), "series_shift_mm": [[0.0] * 3] * len(names), "series_acquisitions": each}
            if len(names) > 1
            else {}
        ),
    }


def blood_share(sequence) -> np.ndarray:
    share = np.zeros(len(NAMES))
    share[INDEX["liver"]] = 0.3
    return share


def imaged(*names: str):
    tissue, label = phantom()
    p = params(*names)
    props = sample_properties(1.5, 50.0, np.random.default_rng(2))
    acq = acquisitions(p, SPACING)
    return tissue, image_series(tissue, label, LABELS, CHECKED, acq, props, blood_share, p, np.random.default_rng(3))


def test_a_single_series_study_is_measured_and_judged():
    tissue, result = imaged("T2w")
    assert len(result.images) == len(result.measured) == 1 and result.passed, result.failures
    assert result.measured[0].labels["liver"].voxels == int((tissue == INDEX["liver"]).sum())


def test_each_series_has_its_own_sequence_and_only_gd_series_enhance():
    tissue, result = imaged("T1w_fs", "T1w_fs_gd", "T2w")
    assert len(result.images) == 3 and result.passed, result.failures
    plain, enhanced, t2 = (float(np.median(im[tissue == INDEX["liver"]])) for im in result.images)
    fluid = [float(np.median(im[tissue == INDEX["fluid"]])) for im in result.images]
    assert enhanced / fluid[1] > plain / fluid[0]  # the liver takes up gadolinium, the fluid does not
    assert fluid[2] > t2  # fluid is bright on T2
    assert acquisitions(params("T2w"), SPACING)[0][0].name == "T2w"
