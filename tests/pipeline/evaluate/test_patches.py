"""Training patches of in-memory volumes: fixed by the seed, balanced towards the classes, padded."""

import numpy as np

from pipeline.evaluate.patches import Patches
from pipeline.evaluate.volumes import Volume


def volume(shape=(20, 40, 40)) -> Volume:
    label = np.zeros(shape, dtype=np.uint8)
    label[2:5, 30:34, 30:34] = 2
    image = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    return Volume("v", image, label, (1.0, 1.0, 1.0))


def test_patches_are_fixed_by_seed_and_epoch_and_half_hold_the_class():
    stream = Patches([volume(), volume()], (8, 8, 8), per_volume=40, seed=3)
    first = list(stream)
    again = list(Patches([volume(), volume()], (8, 8, 8), per_volume=40, seed=3))
    assert len(first) == 80 and all(np.array_equal(a["image"], b["image"]) for a, b in zip(first, again, strict=True))
    stream.set_epoch(1)
    assert not all(np.array_equal(a["image"], b["image"]) for a, b in zip(first, list(stream), strict=True))
    holding = np.mean([bool((p["label"] == 2).any()) for p in first])
    assert 0.4 <= holding <= 0.9  # the class fills 0.2 % of the volume: only balanced sampling finds it this often
    assert first[0]["image"].shape == (1, 8, 8, 8) and first[0]["label"].dtype.is_floating_point is False


def test_a_volume_smaller_than_the_patch_is_padded():
    (sample, *_) = list(Patches([volume((4, 40, 40))], (8, 16, 16), per_volume=1, seed=0))
    assert sample["image"].shape == (1, 8, 16, 16)
    assert (sample["label"][0, 4:] == 0).all()  # background below the volume's end


def test_a_small_class_is_centred_as_often_as_a_large_one():
    """nnU-Net's foreground oversampling: the class is drawn first, then its voxel, so a class of
    0.2 % of the volume is in about as many patches as one of 40 % (voxel-uniform sampling would
    centre it once in 200 positive patches)."""
    shape = (20, 40, 40)
    label = np.zeros(shape, dtype=np.uint8)
    label[:8] = 1  # 40 %
    label[14:16, 30:34, 30:34] = 2  # 0.2 %, far from class 1
    v = Volume("v", np.zeros(shape, dtype=np.float32), label, (1.0, 1.0, 1.0))
    patches = list(Patches([v], (4, 4, 4), per_volume=400, seed=0, pos_fraction=1.0))
    holding = [np.mean([bool((p["label"] == k).any()) for p in patches]) for k in (1, 2)]
    assert 0.35 <= holding[1] <= 0.65 and 0.35 <= holding[0] <= 0.75, holding
