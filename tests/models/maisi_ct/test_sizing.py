"""MAISI's sizes and spacings, and the decode settings its per-memory configs would choose."""

import pytest

from models import ParamError
from models.maisi_ct.sizing import MEMORY_CONFIGS, check_size, check_spacing, decode_plan


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
    assert decode_plan((512, 512, 768), 139.0).source == "config_infer_80g_512x512x768"
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
