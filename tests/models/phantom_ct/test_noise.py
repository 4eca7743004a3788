"""CT image formation: noise shaped like filtered back-projection, blur that makes partial volume."""

import numpy as np

from models.phantom_ct.noise import APODISATION_CUTOFF, fbp_noise, system_blur


def radial_nps(noise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    spectrum = np.abs(np.fft.fft2(noise, axes=(1, 2))) ** 2
    power = spectrum.mean(axis=0)
    fy = np.fft.fftfreq(noise.shape[1])[:, None]
    fx = np.fft.fftfreq(noise.shape[2])[None, :]
    radius = np.sqrt(fx**2 + fy**2) / 0.5  # 1 = Nyquist
    return radius, power


def test_noise_has_the_requested_std_and_a_ramp_then_roll_off_spectrum():
    noise = np.zeros((40, 128, 128), dtype=np.float32)
    fbp_noise(noise, 20.0, np.random.default_rng(0), slab=16)
    assert abs(noise.std() - 20.0) < 1.0
    radius, power = radial_nps(noise)

    def band(lo, hi):
        return power[(radius >= lo) & (radius < hi)].mean()

    low, mid, high = band(0.02, 0.1), band(0.3, 0.45), band(APODISATION_CUTOFF, 1.0)
    assert 0 < low < 0.6 * mid  # the ramp: power grows with frequency (|f| times the window, ~0.4 here)
    assert high < mid / 50  # the kernel's apodisation: almost none beyond its cut-off


def test_noise_is_the_same_whatever_the_slab_size_of_the_first_slab():
    a = np.zeros((20, 32, 32), dtype=np.float32)
    fbp_noise(a, 10.0, np.random.default_rng(1), slab=20)
    assert np.isfinite(a).all() and a.std() > 5
    slices = [np.corrcoef(a[k].ravel(), a[k + 1].ravel())[0, 1] for k in range(19)]
    assert 0.0 < np.mean(slices) < 0.2  # slightly correlated between slices, mostly independent


def test_blur_makes_partial_volume_at_edges():
    step = np.zeros((8, 32, 32), dtype=np.float32)
    step[:, :, 16:] = 100.0
    blurred = system_blur(step, (1.5, 1.5, 1.5))
    profile = blurred[4, 16]
    assert profile[0] == 0.0 and abs(profile[-1] - 100.0) < 1e-3
    assert 0 < profile[15] < 50 < profile[16] < 100  # the edge voxels mix both sides
    assert np.all(np.diff(profile) >= -1e-4)
