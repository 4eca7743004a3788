"""Every built-in generator, and each anatomy source, keeps the contract (`models.contract`)."""

from __future__ import annotations

import pytest

from models import GeneratorOptions
from models.contract import Contract
from pipeline.store.folder import open_folder
from tests.models.anatomy.maskfiles import phantom_label, write

TINY = {"network": "tiny", "num_inference_steps": 2, "max_redraws": 0}


@pytest.fixture(scope="module")
def masks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contract-masks")
    label, spacing = phantom_label((40, 56, 56), body_region="abdomen")
    write(folder / "torso.nii.gz", label, spacing)
    return str(folder)


CASES = {
    "phantom_ct": lambda m: Contract(
        "phantom_ct",
        GeneratorOptions(shape=(32, 48, 48)),
        [({"body_region": "knee"}, "params.body_region"), ({"noise_hu": float("nan")}, "params.noise_hu")],
    ),
    "phantom_ct on masks": lambda m: Contract(
        "phantom_ct",
        GeneratorOptions(shape=(32, 48, 48), params={"anatomy": "masks", "masks": m}, open_folder=open_folder),
        [({"vocabulary": "nope"}, "params.vocabulary"), ({"flip_rate": 2}, "params.flip_rate")],
    ),
    "brain_mr": lambda m: Contract(
        "brain_mr",
        GeneratorOptions(shape=(40, 48, 40)),
        [({"contrast": "X"}, "params.contrast"), ({"sequence": "MPRAGE"}, "params.sequence")],
    ),
    "body_mr": lambda m: Contract(
        "body_mr",
        GeneratorOptions(shape=(32, 48, 48)),
        [({"sequence": "FLAIR"}, "params.sequence"), ({"snr": float("inf")}, "params.snr")],
    ),
    "body_mr on masks": lambda m: Contract(
        "body_mr",
        GeneratorOptions(
            shape=(32, 48, 48),
            params={"anatomy": "masks", "masks": m, "sequence": "T1w_fs_gd"},
            open_folder=open_folder,
        ),
        [({"body_region": "chest"}, "params.body_region"), ({"field_strength_t": 7}, "params.field_strength_t")],
    ),
    "brain_mr physics": lambda m: Contract(
        "brain_mr",
        GeneratorOptions(shape=(40, 48, 40), params={"contrast": "physics"}),
        [({"sequence": "STIR"}, "params.sequence"), ({"tr_ms": -1}, "params.tr_ms")],
    ),
    "phantom_ct series": lambda m: Contract(
        "phantom_ct",
        GeneratorOptions(shape=(32, 48, 48), params={"misregistration_mm": 2.0}, series=("non_contrast", "delayed")),
        [({"contrast": "arterial"}, "params.contrast"), ({"misregistration_mm": 11}, "params.misregistration_mm")],
    ),
    "body_mr series": lambda m: Contract(
        "body_mr",
        GeneratorOptions(shape=(32, 48, 48), series=("T2w", "opposed_phase", "T1w_fs_gd")),
        [({"sequence": "T2w"}, "params.sequence"), ({"te_ms": 80}, "params.te_ms")],
    ),
    "brain_mr series": lambda m: Contract(
        "brain_mr",
        GeneratorOptions(shape=(40, 48, 40), series=("MPRAGE", "FLAIR", "MPRAGE_gd")),
        [({"contrast": "T1"}, "params.contrast"), ({"flip_deg": 9}, "params.flip_deg")],
    ),
    "maisi_ct": lambda m: Contract(
        "maisi_ct", GeneratorOptions(shape=(32, 256, 256), params=TINY), [({"network": "big"}, "params.network")]
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_built_in_generators_keep_the_contract(case, masks):
    CASES[case](masks).check_all()


def test_the_kit_catches_a_broken_generator(masks):
    contract = CASES["phantom_ct"](masks)
    contract.study.columns.pop("habitus")
    with pytest.raises(AssertionError, match=r"columns filled .* != declared"):
        contract.check_columns()
    with pytest.raises(AssertionError, match="accepted"):
        Contract("phantom_ct", GeneratorOptions(shape=(32, 48, 48)), [({"age": 40}, "params.age")]).check_bad_options()
