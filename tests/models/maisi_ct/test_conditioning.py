"""The ControlNet's view of a label map: MAISI's 8-bit code and MAISI's axis order."""

import numpy as np
import torch

from models import GeneratorOptions, make_spec
from models.maisi_ct.conditioning import encode_labels, from_maisi, spacing_to_maisi, to_maisi
from models.registry import create


def decoded(planes: torch.Tensor) -> torch.Tensor:
    """(1, 8, X, Y, Z) bit planes back to label values: bit i is worth 2**i."""
    weights = (2 ** torch.arange(planes.shape[1], dtype=torch.int32)).view(-1, 1, 1, 1)
    return (planes[0].to(torch.int32) * weights).sum(dim=0)


def test_every_byte_value_round_trips_through_the_8_bit_code():
    values = torch.arange(256, dtype=torch.uint8).reshape(4, 8, 8)
    planes = encode_labels(values)
    assert planes.shape == (1, 8, 4, 8, 8) and planes.dtype == torch.uint8
    assert set(planes.unique().tolist()) == {0, 1}
    assert torch.equal(decoded(planes), values.to(torch.int32))


def test_channel_i_is_bit_i_least_significant_first():
    body = torch.full((1, 1, 1), 200, dtype=torch.uint8)  # 200 = 0b11001000
    assert encode_labels(body)[0, :, 0, 0, 0].tolist() == [0, 0, 0, 1, 0, 0, 1, 1]
    liver = torch.full((1, 1, 1), 1, dtype=torch.uint8)
    assert encode_labels(liver)[0, :, 0, 0, 0].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]


def test_random_label_maps_round_trip():
    rng = np.random.default_rng(3)
    label = torch.from_numpy(rng.integers(0, 256, (16, 24, 32), dtype=np.uint8))
    assert torch.equal(decoded(encode_labels(label)), label.to(torch.int32))


def test_axes_go_from_lps_zyx_to_ras_xyz_and_back():
    volume = np.zeros((4, 5, 6), dtype=np.uint8)  # z, y, x
    volume[3, 0, 5] = 7  # superior, anterior-most row (y = 0), patient's left-most column
    ras = to_maisi(volume)
    assert ras.shape == (6, 5, 4)
    # RAS index: x grows to the right, so the left-most voxel is x = 0; y grows anterior.
    assert ras[0, 4, 3] == 7
    assert np.array_equal(from_maisi(ras), volume)
    assert spacing_to_maisi((2.0, 1.5, 1.25)) == (1.25, 1.5, 2.0)


def test_the_liver_lands_on_maisis_right_and_the_spine_posterior():
    """Anatomy, not just arithmetic: MAISI's networks learnt RAS arrays."""
    g = create("phantom_ct", GeneratorOptions(shape=(32, 96, 96), params={"body_region": "abdomen"}))
    spec = make_spec(g, 0, 0)
    label, _ = g.label_map(spec.params, spec.seed)
    ras = to_maisi(label)
    liver = np.argwhere(ras == g.label_dict.value("liver")).mean(axis=0)
    spine = np.argwhere(ras == g.label_dict.value("spinal cord")).mean(axis=0)
    body = np.argwhere(ras > 0).mean(axis=0)
    assert liver[0] > body[0]  # patient's right: larger RAS x
    assert spine[1] < body[1]  # posterior: smaller RAS y
