"""A three-compartment MR phantom: liver, muscle and gallbladder-like fluid in fat, in a 48^3 grid."""

from __future__ import annotations

import numpy as np

from models.labels import maisi_ct_labels
from models.mr.tissue import INDEX

LABELS = maisi_ct_labels()
SHAPE = (48, 48, 48)
SPACING = (2.0, 2.0, 2.0)


def phantom() -> tuple[np.ndarray, np.ndarray]:
    """(tissue indices of `models.mr.tissue.NAMES`, MAISI label map)."""
    tissue = np.full(SHAPE, INDEX["air"], dtype=np.uint8)
    label = np.zeros(SHAPE, dtype=np.uint8)
    tissue[4:44, 4:44, 4:44], label[4:44, 4:44, 4:44] = INDEX["fat"], LABELS.value("body")
    for (z, y, x), tissue_name, label_name in (
        ((slice(8, 24), slice(8, 40), slice(8, 24)), "liver", "liver"),
        ((slice(28, 40), slice(8, 40), slice(8, 24)), "muscle", "left gluteus maximus"),
        ((slice(8, 40), slice(8, 40), slice(28, 40)), "fluid", "gallbladder"),
    ):
        tissue[z, y, x], label[z, y, x] = INDEX[tissue_name], LABELS.value(label_name)
    return tissue, label
