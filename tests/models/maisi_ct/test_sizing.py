"""MAISI's sizes and spacings, and the decode settings its per-memory configs would choose."""

import pytest
from monai.data.utils import dense_patch_slices
from monai.inferers.utils import _get_scan_interval

from models import ParamError
from models.maisi_ct.sizing import (
    MEMORY_CONFIGS,
    PEAKS_SPLITS_4,
    check_size,
    check_spacing,
    decode_plan,
    large_plan,
    peak_gib,
    windows,
)


@pytest.mark.parametrize("shape", [(32, 256, 256), (256, 384, 384), (768, 512, 512), (128, 512, 512)])
def test_sizes_maisi_accepts(shape):
    check_size(shape, 32)


@pytest.mark.parametrize(
    ("shape", "says"),
    [
        ((32, 256, 384), "x = y"),
        ((32, 300, 300), "x = y in [256, 384, 512]"),
        ((48, 256, 256), "multiple of 32"),
        ((800, 256, 256), "multiple of 32 within [32, 768]"),
        ((0, 256, 256), "multiple of 32"),
        ((256, 256), "3 sizes"),
    ],
)
def test_sizes_maisi_refuses(shape, says):
    with pytest.raises(ParamError, match=r"generator\.shape") as err:
        check_size(shape, 32)
    assert says in str(err.value)


def test_spacings():
    check_spacing((2.0, 1.5, 1.5))
    check_spacing((0.5, 3.0, 3.0))
    for bad, says in [((2.0, 1.5, 1.0), "x = y"), ((6.0, 1.0, 1.0), "z spacing"), ((1.0, 0.4, 0.4), "x = y spacing")]:
        with pytest.raises(ParamError, match=says):
            check_spacing(bad)


def test_decode_plan_follows_maisis_config_for_the_memory_and_size():
    # 256^3 on an 80 GB card: the largest-memory config written for 256^3 (24 GB).
    assert decode_plan((256, 256, 256), 79.2).source == "config_infer_24g_256x256x256"
    assert decode_plan((256, 256, 256), 16.0).roi == (48, 48, 64)
    assert decode_plan((512, 512, 768), 80.0).source == "config_infer_80g_512x512x768"
    # Larger than any config a 32 GB card has: its largest one.
    assert decode_plan((512, 512, 768), 32.0).source == "config_infer_32g_512x512x512"
    # Smaller than any card in the table: the most frugal configs.
    assert decode_plan((256, 256, 128), 8.0).source == "config_infer_16g_256x256x128"
    cpu = decode_plan((256, 256, 32), None)
    assert (cpu.roi, cpu.overlap, cpu.num_splits, cpu.source) == ((48, 48, 48), 0.6666, 4, "config_infer")


def test_every_memory_config_is_a_size_maisi_accepts():
    for _, (x, y, z), roi, overlap, splits in MEMORY_CONFIGS:
        check_size((z, y, x), 32)
        assert 0 < overlap < 1 and splits in (2, 4) and all(n >= 32 for n in roi)


def test_the_peak_model_lies_over_every_peak_maisi_published():
    for roi, peak in PEAKS_SPLITS_4:
        assert peak <= peak_gib(roi[0] * roi[1] * roi[2]) <= peak + 5.0
    assert peak_gib(128 * 128 * 64) < peak_gib(128 * 128 * 128)


@pytest.mark.parametrize(
    ("size", "roi", "passes"),
    [
        ((256, 256, 256), (64, 64, 64), 1),  # the whole latent: no seams
        ((512, 512, 256), (128, 128, 64), 1),  # MAISI's 80 GB config takes 4 windows of 80^3
        ((512, 512, 512), (80, 128, 128), 2),
        ((512, 512, 768), (64, 128, 192), 3),
    ],
)
def test_a_card_larger_than_maisis_configs_decodes_in_fewer_windows(size, roi, passes):
    plan = decode_plan(size, 139.8)  # an H200's share of one worker
    latent = tuple(n // 4 for n in size)
    assert (plan.roi, plan.overlap, plan.num_splits) == (roi, 0.4, 4)
    assert plan.source == f"peaks_140g_{roi[0]}x{roi[1]}x{roi[2]}"
    assert peak_gib(roi[0] * roi[1] * roi[2]) <= 0.9 * 139.8
    # What MONAI's inferer will run, counted by MONAI's own slicing.
    slices = dense_patch_slices(latent, plan.roi, _get_scan_interval(latent, plan.roi, 3, (0.4,) * 3))
    assert windows(latent, plan.roi, plan.overlap) == len(slices) == passes
    eighty = decode_plan(size, 80.0)
    assert windows(latent, tuple(min(r, n) for r, n in zip(eighty.roi, latent, strict=True)), eighty.overlap) >= passes


def test_a_smaller_share_of_the_card_gets_a_smaller_window():
    whole, less = large_plan((128, 128, 64), 139.8), large_plan((128, 128, 64), 81.0)
    assert whole.roi == (128, 128, 64)
    assert peak_gib(less.roi[0] * less.roi[1] * less.roi[2]) <= 0.9 * 81.0 < peak_gib(128 * 128 * 64)
    assert all(r % 16 == 0 for r in less.roi) and windows((128, 128, 64), less.roi, 0.4) == 2
