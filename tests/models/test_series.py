"""Studies of several series: which names a generator accepts, the misregistration shifts, how a
series image is moved, and how the series' QC is judged and stacked."""

import numpy as np
import pytest

from models.base import QC
from models.errors import ParamError
from models.series import MAX_SERIES, check, draw, draw_shifts, judged, moved, refuse_options, shift, study

KNOWN = ("non_contrast", "arterial", "portal_venous", "delayed")


def test_check_takes_known_names_in_order_and_names_the_bad_entry():
    assert check(None, KNOWN, "phantom_ct") is None
    assert check(["delayed", "arterial"], KNOWN, "phantom_ct") == ("delayed", "arterial")
    with pytest.raises(ParamError, match=r"^generator\.series\[1\]: phantom_ct knows the series"):
        check(["arterial", "venous"], KNOWN, "phantom_ct")
    with pytest.raises(ParamError, match=r"^generator\.series\[0\]: .* got 3"):
        check([3], KNOWN, "phantom_ct")
    with pytest.raises(ParamError, match="lists 'arterial' twice"):
        check(["arterial", "arterial"], KNOWN, "phantom_ct")
    with pytest.raises(ParamError, match=f"must list 1 to {MAX_SERIES} series, got 0"):
        check([], KNOWN, "phantom_ct")


def test_series_options_without_series_and_steered_params_with_them_are_refused():
    refuse_options(None, {"contrast": "arterial"}, steered=("contrast",))  # one series: the phase is free
    with pytest.raises(ParamError, match=r"^generator\.params\.misregistration_mm: .* set generator\.series"):
        refuse_options(None, {"misregistration_mm": 2.0})
    with pytest.raises(ParamError, match=r"^generator\.params\.contrast: generator\.series sets it"):
        refuse_options(("arterial",), {"contrast": "arterial"}, steered=("contrast",))


def test_shifts_are_none_for_the_first_series_and_within_the_limit():
    rng = np.random.default_rng(0)
    shifts = draw_shifts(5, 3.0, rng)
    assert shifts[0] == [0.0, 0.0, 0.0]
    assert all(0 < np.linalg.norm(s) <= 3.0 for s in shifts[1:])
    state = np.random.default_rng(1)
    assert draw_shifts(3, 0.0, state) == [[0.0] * 3] * 3
    assert state.random() == np.random.default_rng(1).random()  # no limit: no draws at all
    assert draw(("a", "b"), 0.0, rng) == {"series": ["a", "b"], "series_shift_mm": [[0.0] * 3] * 2}


def test_a_shift_moves_the_image_in_millimetres_in_its_own_dtype():
    image = np.zeros((8, 8, 8), dtype=np.int16)
    image[4, 4, 4] = 1000
    moved_by_two_voxels = shift(image, (0.0, 0.0, 4.0), spacing_mm=(1.0, 1.0, 2.0))
    assert moved_by_two_voxels.dtype == np.int16 and moved_by_two_voxels[4, 4, 6] == 1000
    assert shift(image, (0, 0, 0), (1, 1, 1)) is image
    half = shift(image, (0.0, 0.0, 0.5), (1.0, 1.0, 1.0))
    assert half[4, 4, 4] == 500 and half[4, 4, 5] == 500  # linear, rounded
    params = {"series": ["a", "b"], "series_shift_mm": [[0, 0, 0], [0, 0, 4.0]]}
    first, second = moved([image, image], params, (1.0, 1.0, 2.0))
    assert first is image and second[4, 4, 6] == 1000
    assert moved([image], {}, (1.0, 1.0, 1.0))[0] is image


def test_qc_and_stacking_of_several_series():
    assert judged([(False, ("dark",))], {}) == (False, ("dark",))
    params = {"series": ["arterial", "delayed"]}
    assert judged([(True, ()), (False, ("dark",))], params) == (False, ("delayed: dark",))
    images = [np.full((2, 3, 4), k, dtype=np.int16) for k in range(2)]
    label = np.zeros((2, 3, 4), dtype=np.uint8)
    one = study(images[:1], label, (1.0, 1.0, 1.0), None, QC(), {}, {})
    assert one.image.shape == (2, 3, 4) and one.series == ()
    both = study(images, label, (1.0, 1.0, 1.0), None, QC(), {}, params)
    assert both.image.shape == (2, 2, 3, 4) and both.series == ("arterial", "delayed")
    assert both.series_image(1)[0, 0, 0] == 1
