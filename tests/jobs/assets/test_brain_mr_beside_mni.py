"""The docs' brain_mr figure: the real MNI T1 beside a whole-head and a brain-extracted study."""

import numpy as np
from PIL import Image

from jobs.assets import brain_mr_beside_mni


def test_the_figure_shows_the_real_t1_and_both_kinds_of_study(tmp_path):
    out = tmp_path / "figure.png"
    brain_mr_beside_mni.main(3, out, shape=(44, 52, 44))
    width, height = Image.open(out).size
    assert 1.5 * height < width < 2.5 * height  # four columns, two rows
    real = brain_mr_beside_mni.real_t1()
    assert real.shape == (189, 233, 197)  # nilearn's template, z, y, x
    middle = real[real.shape[0] // 2]
    assert middle.max() > 0  # the brain, and black where the head was: skull-stripped
    assert max(middle[0].max(), middle[-1].max(), middle[:, 0].max(), middle[:, -1].max()) == 0
    assert 0.1 < float(np.mean(real > 0)) < 0.4
