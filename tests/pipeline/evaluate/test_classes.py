"""Classes as groups of label names, found on both sides."""

import numpy as np
import pytest

from models.anatomy.vocabulary import mapping
from models.brain_mr.template import LABELS as BRAIN
from models.labels import maisi_ct_labels
from pipeline.errors import ConfigError
from pipeline.evaluate.classes import ClassSpec, lookup, parse, resolve, stem

TS_NAMES = set(mapping("totalsegmentator")[1].values())


def test_a_class_takes_both_sides_and_every_level_but_not_a_cyst():
    assert stem("left kidney") == "kidney" and stem("left kidney cyst") == "kidney cyst"
    assert stem("vertebrae L1") == "vertebrae" and stem("right rib 12") == "rib" and stem("aorta") == "aorta"
    groups = resolve(parse("kidney,vertebrae,liver"), maisi_ct_labels(), TS_NAMES, "totalsegmentator")
    kidney, vertebrae, liver = groups
    assert kidney.dataset == ("left kidney", "right kidney") == kidney.real
    assert len(vertebrae.real) == 25 and "vertebrae C1" in vertebrae.real and "vertebrae S1" in vertebrae.real
    assert liver.dataset == ("liver",)


def test_a_class_may_list_its_labels():
    (spec,) = parse("lung=left lung upper lobe+left_lung_lower_lobe")
    assert spec == ClassSpec("lung", ("left lung upper lobe", "left lung lower lobe"))
    (group,) = resolve((spec,), maisi_ct_labels(), TS_NAMES, "totalsegmentator")
    assert group.dataset == ("left lung lower lobe", "left lung upper lobe")


def test_lookups_map_every_value_of_a_class_and_nothing_else():
    groups = resolve(parse("liver,kidney"), maisi_ct_labels(), TS_NAMES, "totalsegmentator")
    ts = lookup(groups, mapping("totalsegmentator")[1], "real")
    assert (ts[5], ts[2], ts[3], ts[1], ts[0]) == (1, 2, 2, 0, 0)  # liver; both kidneys; spleen not asked
    ours = lookup(groups, {lb.value: lb.name for lb in maisi_ct_labels()}, "dataset")
    assert ours[1] == 1 and ours[5] == 2 and ours[14] == 2 and np.count_nonzero(ours) == 3


def test_freesurfer_values_that_share_a_label_all_count():
    names = mapping("freesurfer")[1]
    groups = resolve(parse("cortical grey matter"), BRAIN, set(names.values()), "freesurfer")
    table = lookup(groups, names, "real")
    assert table[3] == table[42] == table[17] == 1  # cortex and hippocampus are cortical grey matter


@pytest.mark.parametrize(
    "text, says",
    [
        ("", "name at least one class"),
        ("liver,liver", "named twice"),
        ("liver,background", "'background' is what no class holds"),
        ("=liver", "has no class name"),
        ("lung=", "lists no labels"),
        ("unicorn", "no label of the dataset"),
        ("kidney cyst", "of the real labels' vocabulary"),
    ],
)
def test_classes_it_refuses(text, says):
    ours = maisi_ct_labels().subset(["liver", "left kidney cyst"], name="t")
    with pytest.raises(ConfigError, match=f"^--classes: .*{says}"):
        resolve(parse(text), ours, TS_NAMES - {"left kidney cyst", "right kidney cyst"}, "totalsegmentator")
