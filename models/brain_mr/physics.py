"""brain_mr's `contrast=physics`: each label's MR tissue (`models.mr.tissue`) and its share of
blood's gadolinium concentration. The blood-brain barrier keeps gadolinium out of normal brain,
so only the tumour enhances: its extravascular extracellular volume fraction, about 0.3 in
enhancing gliomas (DCE-MRI: Tofts PS et al., J Magn Reson Imaging 1999;10:223-232 defines it;
reported v_e 0.2-0.5), is its share. Scalp is a fat-muscle mixture, the skull cortical bone."""

from __future__ import annotations

import numpy as np

from models.brain_mr.intensity import kind
from models.brain_mr.template import LABELS
from models.mr.tissue import INDEX, NAMES

SEQUENCES_BASE = ("MPRAGE", "T1w", "T2w", "PDw", "FLAIR")
# Labels QC ranks (every brain_mr label but scalp and skull, whose ranking partial volume decides).
CHECKED = tuple(lb.name for lb in LABELS if kind(lb.name) not in ("scalp", "skull"))
TUMOUR_SHARE = 0.3

KIND_TISSUE = {
    "scalp": "scalp",
    "skull": "cortical_bone",
    "csf": "fluid",
    "lateral ventricle": "fluid",
    "cortical grey matter": "grey_matter",
    "cerebral white matter": "white_matter",
    "deep grey matter": "deep_grey_matter",
    "cerebellum": "cerebellum",
    "brainstem": "brainstem",
    "white matter hyperintensity": "white_matter_lesion",
    "tumour": "brain_tumour",
}


def tissue_table() -> np.ndarray:
    """brain_mr label value -> MR tissue index (background is air)."""
    table = np.full(256, INDEX["air"], dtype=np.uint8)
    for lb in LABELS:
        table[lb.value] = INDEX[KIND_TISSUE[kind(lb.name)]]
    return table


def gd_share() -> np.ndarray:
    share = np.zeros(len(NAMES))
    share[INDEX["brain_tumour"]] = TUMOUR_SHARE
    return share
