"""Published adult reference ranges, drawn into the dataset report beside what was generated.

Volumes (ml) are wide adult envelopes from CT volumetry and ICRP Publication 89: liver 900-2,600
(means ~1,400 F and ~1,700 M), spleen 80-450, each kidney 90-260, pancreas 40-120, each adrenal
gland 2-10, prostate 15-60, thyroid 8-30, heart 400-1,100. Brain MR volumes are half the adult
totals per hemisphere (cerebral white matter 330-700 ml, lateral ventricles 5-70 ml in all).

Attenuation (HU) per contrast phase comes from the CT tissue table the phantom draws from
(`models.phantom_ct.tissue`, itself from published CT figures), for the labels that are one
tissue. MR intensities are domain-randomised by design and have no reference.
"""

from __future__ import annotations

from models.phantom_ct.tissue import ALL_PHASES, TISSUE_INDEX, TISSUES

CT_PHASES = ALL_PHASES  # the contrast phases `hu` has ranges for

Range = tuple[float, float]

VOLUME_ML: dict[str, Range] = {
    "liver": (900.0, 2600.0),
    "spleen": (80.0, 450.0),
    "left kidney": (90.0, 260.0),
    "right kidney": (90.0, 260.0),
    "pancreas": (40.0, 120.0),
    "left adrenal gland": (2.0, 10.0),
    "right adrenal gland": (2.0, 10.0),
    "prostate": (15.0, 60.0),
    "thyroid gland": (8.0, 30.0),
    "heart": (400.0, 1100.0),
    "left cerebral white matter": (165.0, 350.0),
    "right cerebral white matter": (165.0, 350.0),
    "left lateral ventricle": (2.5, 35.0),
    "right lateral ventricle": (2.5, 35.0),
}

# CT label -> the one tissue it is made of.
LABEL_TISSUE: dict[str, str] = {
    "liver": "liver",
    "spleen": "spleen",
    "left kidney": "kidney",
    "right kidney": "kidney",
    "pancreas": "pancreas",
    "left adrenal gland": "adrenal",
    "right adrenal gland": "adrenal",
    "prostate": "prostate",
    "esophagus": "esophagus",
    "aorta": "aorta",
    "inferior vena cava": "ivc",
    "superior vena cava": "svc",
    "portal vein and splenic vein": "portal",
    "hepatic vessel": "hepatic_vessel",
    "heart": "heart",
    "spinal cord": "cord",
    "left autochthon": "muscle",
    "right autochthon": "muscle",
    # The left lung has two lobes, the right three (and MAISI's dictionary names exactly these five).
    **{f"left lung {lobe} lobe": "lung" for lobe in ("upper", "lower")},
    **{f"right lung {lobe} lobe": "lung" for lobe in ("upper", "middle", "lower")},
}


def volume_ml(label: str) -> Range | None:
    return VOLUME_ML.get(label)


def hu(label: str, contrast: str | None) -> Range | None:
    """The label's published HU range in `contrast` (non-contrast when unknown); None if it has none."""
    tissue = LABEL_TISSUE.get(label)
    if tissue is None:
        return None
    low, high = TISSUES[TISSUE_INDEX[tissue]].range(contrast or "non_contrast")
    return float(low), float(high)
