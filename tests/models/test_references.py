"""The published reference ranges the report draws: adult volumes, and HU from the tissue table."""

from models.labels import maisi_ct_labels
from models.phantom_ct.tissue import TISSUE_INDEX, TISSUES
from models.references import LABEL_TISSUE, VOLUME_ML, hu, volume_ml


def test_every_reference_names_a_real_label_and_a_sane_range():
    known = {lb.name for lb in maisi_ct_labels()}
    brain = {"left cerebral white matter", "right cerebral white matter", "left lateral ventricle"}
    brain |= {"right lateral ventricle"}
    assert set(LABEL_TISSUE) <= known
    assert set(VOLUME_ML) - brain <= known
    assert all(0 < low < high for low, high in VOLUME_ML.values())
    assert set(LABEL_TISSUE.values()) <= set(TISSUE_INDEX)


def test_volumes_and_hu_by_phase():
    assert volume_ml("liver") == (900.0, 2600.0) and volume_ml("appendix") is None
    assert hu("appendix", "arterial") is None
    plain, portal = hu("liver", None), hu("liver", "portal_venous")
    assert plain == tuple(float(v) for v in TISSUES[TISSUE_INDEX["liver"]].range("non_contrast"))
    assert portal[0] > plain[0]  # the liver enhances in the portal venous phase
    assert hu("aorta", "arterial")[0] > hu("aorta", "non_contrast")[1]  # and the aorta far more
