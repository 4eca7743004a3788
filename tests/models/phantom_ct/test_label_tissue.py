"""Every MAISI label has a tissue of the phantom's table; a mask's bones get a cortical shell and its
bowel a wall round its content."""

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


def test_a_masks_bowel_is_a_wall_round_fluid_and_the_colon_round_stool():
    """As the procedural torso paints them (0.10.0): a one-voxel wall where each loop meets another
    label, enteric fluid inside (before, the whole loop was one 20-40 HU solid)."""
    labels = maisi_ct_labels()
    label = np.zeros((14, 14, 20), dtype=np.uint8)
    label[1:13, 1:13, 1:19] = labels.value("body")
    label[3:9, 3:9, 2:9] = labels.value("small bowel")
    label[3:9, 3:9, 9:16] = labels.value("colon")  # touching the small bowel: each its own wall
    tissue = tissue_map(label, labels)
    for name, content, inside in (("small bowel", "bowel_fluid", (4, 4, 3)), ("colon", "colon_content", (4, 4, 10))):
        loop = label == labels.value(name)
        core = np.zeros_like(loop)
        core[inside[0] : inside[0] + 4, inside[1] : inside[1] + 4, inside[2] : inside[2] + 5] = True
        assert (tissue[core] == TISSUE_INDEX[content]).all(), name
        assert (tissue[loop & ~core] == TISSUE_INDEX["bowel_wall"]).all(), name
