"""An MR study's acquisition as the export reads it back, declared by the MR generators."""

import numpy as np
import pytest

from models.base import AcquisitionRecord
from models.mr.record import MR_RECORD
from models.mr.sequence import GAMMA_MHZ_PER_T, columns, sample_sequence
from models.registry import factory

FIXED = dict.fromkeys(("tr_ms", "te_ms", "ti_ms", "flip_deg"))


def row_of(name: str, phase: str | None = None, field_t: float = 3.0) -> dict:
    seq = sample_sequence(name, field_t, FIXED, phase, np.random.default_rng(0))
    return columns(seq, 30.0)


def test_the_mr_generators_declare_it_and_the_ct_ones_do_not():
    assert isinstance(MR_RECORD, AcquisitionRecord)
    assert factory("body_mr").acquisition is MR_RECORD and factory("brain_mr").acquisition is MR_RECORD
    assert getattr(factory("phantom_ct"), "acquisition", None) is None


@pytest.mark.parametrize(
    ("name", "scanning", "variant", "kind", "options"),
    [
        ("T2w", ["SE"], ["SK"], "2D", ""),
        ("T1w_fs", ["GR"], ["SP"], "3D", "FS"),  # a fat-saturated 3D spoiled gradient echo (VIBE, LAVA)
        ("STIR", ["SE", "IR"], ["SK"], "2D", ""),
    ],
)
def test_each_family_has_its_defined_terms(name, scanning, variant, kind, options):
    found = MR_RECORD.dicom(row_of(name))
    assert (found["ScanningSequence"], found["SequenceVariant"]) == (scanning, variant)
    assert (found["MRAcquisitionType"], found["ScanOptions"], found["SequenceName"]) == (kind, options, name)
    assert found["ImagingFrequency"] == pytest.approx(GAMMA_MHZ_PER_T * 3.0)
    assert ("InversionTime" in found) == (name == "STIR")


def test_gadolinium_adds_the_contrast_bolus_and_a_row_without_a_sequence_has_nothing():
    found = MR_RECORD.dicom(row_of("T1w_fs_gd", phase="portal_venous"))
    assert (found["ContrastBolusAgent"], found["ContrastBolusRoute"]) == ("GADOBUTROL", "IV")
    assert "ContrastBolusAgent" not in MR_RECORD.dicom(row_of("T1w_fs"))
    assert MR_RECORD.dicom({"sequence": None, "contrast": "T1"}) == {}


def test_a_series_reads_back_its_own_sequence_and_contrast():
    seq = sample_sequence("T1w_fs_gd", 1.5, FIXED, "arterial", np.random.default_rng(1))
    found = MR_RECORD.series_columns({"sequence": seq.to_json(), "snr": 22.5})
    assert found == {**columns(seq, 22.5), "contrast": "arterial"}
    assert set(found) == {*MR_RECORD.columns, "contrast"}
