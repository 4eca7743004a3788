"""Every MAISI label has a tissue of the phantom's table, and a mask's bones get a cortical shell."""

import numpy as np
import pytest

from models.labels import maisi_ct_labels
from models.phantom_ct.label_tissue import tissue_map, tissue_of, tissue_table
from models.phantom_ct.tissue import TISSUE_INDEX


def test_every_maisi_label_has_a_known_tissue():
    for lb in maisi_ct_labels():
        assert tissue_of(lb.name) in TISSUE_INDEX, lb.name


@pytest.mark.parametrize(
    ("name", "tissue"),
    [
        ("liver", "liver"),
        ("left kidney", "kidney"),
        ("right kidney cyst", "cyst"),
        ("left adrenal gland", "adrenal"),
        ("right lung middle lobe", "lung"),
        ("vertebrae L3", "cancellous"),
        ("left rib 7", "cancellous"),
        ("right gluteus maximus", "muscle"),
        ("left common carotid artery", "aorta"),
        ("left brachiocephalic vein", "ivc"),
        ("trachea", "gas"),
        ("body", "fat"),
    ],
)
def test_labels_take_the_tissue_they_are_made_of(name, tissue):
    assert tissue_of(name) == tissue


def test_the_table_covers_every_value_and_bones_get_a_cortex():
    labels = maisi_ct_labels()
    table = tissue_table(labels)
    assert table.shape == (256,) and table[0] == TISSUE_INDEX["air"]
    label = np.zeros((12, 12, 12), dtype=np.uint8)
    label[1:11, 1:11, 1:11] = labels.value("body")
    label[3:9, 3:9, 3:9] = labels.value("vertebrae L3")
    tissue = tissue_map(label, labels)
    bone = label == labels.value("vertebrae L3")
    shell = bone & ~np.pad(np.ones((4, 4, 4), dtype=bool), 4)  # the outer voxel layer of the bone
    assert (tissue[shell] == TISSUE_INDEX["cortical"]).all()
    assert (tissue[4:8, 4:8, 4:8] == TISSUE_INDEX["cancellous"]).all()
    assert (tissue[label == labels.value("body")] == TISSUE_INDEX["fat"]).all()
