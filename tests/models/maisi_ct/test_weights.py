"""Weights folders in MAISI's format: checked before any work, loaded exactly, never guessed."""

from pathlib import Path

import pytest
import torch

from models import ParamError
from models.maisi_ct import weights
from models.maisi_ct.networks import KINDS, build, definitions

TINY = definitions("tiny")


def tiny_nets(seed: int = 1) -> dict:
    torch.manual_seed(seed)
    return {kind: build(TINY, kind) for kind in KINDS}


@pytest.fixture
def folder(tmp_path) -> Path:
    weights.save(tiny_nets(), 0.85, tmp_path / "w")
    return tmp_path / "w"


def test_a_saved_folder_reads_checks_and_loads_exactly(folder):
    checkpoints = weights.read(folder)
    weights.check(checkpoints, TINY, folder)
    assert checkpoints.scale_factor == pytest.approx(0.85)
    loaded = {kind: build(TINY, kind) for kind in KINDS}
    weights.load(loaded, checkpoints)
    original = tiny_nets()
    for kind in KINDS:
        for name, tensor in original[kind].state_dict().items():
            assert torch.equal(loaded[kind].state_dict()[name], tensor), (kind, name)


def test_the_file_names_are_maisis_released_ones(folder):
    assert sorted(p.name for p in folder.iterdir()) == [
        "autoencoder_v1.pt",
        "controlnet_3d_rflow-ct.pt",
        "diff_unet_3d_rflow-ct.pt",
    ]
    raw = torch.load(folder / "diff_unet_3d_rflow-ct.pt", weights_only=True)
    assert set(raw) == {"unet_state_dict", "scale_factor"}


def test_a_controlnet_file_may_leave_out_what_it_takes_from_the_unet(folder):
    """MAISI copies the UNet's weights into the ControlNet before loading the ControlNet's own."""
    raw = torch.load(folder / "controlnet_3d_rflow-ct.pt", weights_only=True)
    unet = torch.load(folder / "diff_unet_3d_rflow-ct.pt", weights_only=True)["unet_state_dict"]
    shared = [k for k in raw["controlnet_state_dict"] if k in unet and k.startswith("conv_in")]
    assert shared
    for key in shared:
        unet[key] = raw["controlnet_state_dict"].pop(key).clone()
    torch.save(raw, folder / "controlnet_3d_rflow-ct.pt")
    weights.check(weights.read(folder), TINY, folder)


def expect(folder: Path, says: str, network: str = "tiny") -> None:
    with pytest.raises(ParamError) as err:
        weights.check(weights.read(folder), definitions(network), folder)
    message = str(err.value)
    assert message.startswith("generator.params.weights_dir: ") and says in message and "\n" not in message


def test_missing_folder(tmp_path):
    expect(tmp_path / "nowhere", "is not a folder")


def test_missing_file(folder):
    (folder / "controlnet_3d_rflow-ct.pt").unlink()
    expect(folder, "lacks controlnet_3d_rflow-ct.pt")


def test_a_file_that_is_not_a_checkpoint(folder):
    (folder / "autoencoder_v1.pt").write_bytes(b"not a checkpoint at all")
    expect(folder, "autoencoder_v1.pt is not a checkpoint torch.load(weights_only=True) reads")


class Payload:
    """Arbitrary code in a pickle: what weights_only refuses to run."""


def test_a_pickle_with_code_is_refused(folder):
    torch.save(
        {"unet_state_dict": {}, "scale_factor": torch.tensor(1.0), "x": Payload()}, folder / "diff_unet_3d_rflow-ct.pt"
    )
    expect(folder, "diff_unet_3d_rflow-ct.pt is not a checkpoint")


def test_a_checkpoint_without_scale_factor(folder):
    raw = torch.load(folder / "diff_unet_3d_rflow-ct.pt", weights_only=True)
    torch.save({"unet_state_dict": raw["unet_state_dict"]}, folder / "diff_unet_3d_rflow-ct.pt")
    expect(folder, "has no scale_factor")


def test_files_swapped(folder):
    (folder / "autoencoder_v1.pt").rename(folder / "tmp")
    (folder / "diff_unet_3d_rflow-ct.pt").rename(folder / "autoencoder_v1.pt")
    (folder / "tmp").rename(folder / "diff_unet_3d_rflow-ct.pt")
    with pytest.raises(ParamError):
        weights.check(weights.read(folder), TINY, folder)


def test_a_missing_key(folder):
    state = torch.load(folder / "autoencoder_v1.pt", weights_only=True)
    del state[next(iter(state))]
    torch.save(state, folder / "autoencoder_v1.pt")
    expect(folder, "autoencoder_v1.pt does not fit network 'tiny': 1 missing keys")


def test_tiny_weights_for_the_full_network_name_the_shapes(folder):
    expect(folder, "shapes differ", network="maisi")


def test_fingerprint_follows_the_bytes(folder):
    before = weights.fingerprint(folder)
    assert before == weights.fingerprint(folder) and len(before) == 64
    weights.save(tiny_nets(seed=2), 0.85, folder)
    assert weights.fingerprint(folder) != before


def test_random_weights_are_reproducible_and_not_zero():
    a, b = tiny_nets(1), tiny_nets(2)
    weights.randomise(a)
    weights.randomise(b)
    for kind in KINDS:
        for name, tensor in a[kind].state_dict().items():
            assert torch.equal(tensor, b[kind].state_dict()[name])
    # MAISI zero-initialises the ControlNet's outputs; random weights must let the labels through.
    assert all(p.abs().sum() > 0 for name, p in a["controlnet"].named_parameters() if name.endswith("weight"))
