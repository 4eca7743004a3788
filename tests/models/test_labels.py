import pytest

from models.labels import LabelDict, label_color, maisi_ct_labels, snake_case


def test_maisi_dictionary_matches_the_shared_indices():
    labels = maisi_ct_labels()
    assert labels.value("liver") == 1
    assert labels.value("right kidney") == 5
    assert labels.value("left kidney") == 14
    assert labels.value("vertebrae L5") == 33
    assert labels.value("body") == 200
    assert not [lb for lb in labels if lb.name.startswith("dummy")]
    assert len(labels) == 132 - 8 + 1  # 132 classes less 8 dummies, plus body


def test_subset_keeps_values_and_sorts_by_value():
    sub = maisi_ct_labels().subset(["body", "spleen", "liver"], name="x")
    assert [lb.value for lb in sub] == [1, 3, 200]
    with pytest.raises(KeyError, match=r"no labels"):
        maisi_ct_labels().subset(["liver", "tail"], name="x")


def test_columns_are_snake_case():
    assert snake_case("right lung upper lobe") == "right_lung_upper_lobe"
    assert snake_case("vertebrae L5") == "vertebrae_l5"
    assert maisi_ct_labels().subset(["inferior vena cava"], "x").labels[0].column == "inferior_vena_cava"


def test_colors_are_stable_rgba():
    assert label_color(1) == label_color(1)
    assert label_color(1) != label_color(2)
    assert all(0 <= c <= 255 for c in label_color(200))


def test_json_round_trip():
    sub = maisi_ct_labels().subset(["liver", "body"], name="ct")
    assert LabelDict.from_json("ct", sub.to_json()) == sub


def test_values_must_be_unique_and_nonzero():
    lb = maisi_ct_labels().labels[0]
    with pytest.raises(ValueError, match=r"unique"):
        LabelDict("bad", (lb, lb))
