"""The evaluation's inference sees a thin scan padded as its training patches were; the fit scores
the synthetic model on its own studies."""

from types import SimpleNamespace

import numpy as np
import torch

from pipeline.evaluate.patches import Patches
from pipeline.evaluate.run import _predict, fit_scores
from pipeline.evaluate.volumes import Volume


class Recorder(torch.nn.Module):
    """Two-class logits (class 1 where the image is over 0.5), remembering every window it saw."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x.clone())
        return torch.cat([0.5 - x, x - 0.5], dim=1)


def test_a_scan_thinner_than_the_patch_is_predicted_on_the_padding_it_was_trained_on():
    image = np.full((5, 12, 12), 0.4, dtype=np.float32)
    image[:, 6:] = 0.7
    scan = Volume("thin", image, np.zeros(image.shape, dtype=np.uint8), (3.0, 3.0, 3.0))
    patch = (8, 8, 8)
    model = Recorder()
    out = _predict(model, scan, SimpleNamespace(device=torch.device("cpu")), SimpleNamespace(patch=patch))
    assert out.shape == image.shape and (out == (image > 0.5)).all()
    windows = torch.cat(model.seen)
    assert float(windows.min()) >= 0.4  # no zero slices: the sliding window's own centred padding is unused
    trained = next(iter(Patches([scan], patch, per_volume=1, seed=0)))["image"]
    assert float(trained.min()) >= 0.4 and trained.shape[1:] == patch  # the training patch pads alike


class Oracle(torch.nn.Module):
    """Logits that name class k where the image reads k / 10."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = torch.round(x * 10)
        return torch.cat([-(k - c).abs() for c in range(3)], dim=1)


def test_the_fit_scores_the_synthetic_model_on_its_own_training_studies():
    label = np.zeros((8, 12, 12), dtype=np.uint8)
    label[2:6, 2:6, 2:6] = 1
    label[2:6, 7:11, 7:11] = 2
    exact = Volume("exact", label / np.float32(10), label, (3.0, 3.0, 3.0))
    blind = Volume("blind", np.zeros(label.shape, np.float32), label, (3.0, 3.0, 3.0))  # sees no class
    groups = [SimpleNamespace(name="liver"), SimpleNamespace(name="spleen")]
    p = SimpleNamespace(groups=groups, synthetic=[exact, blind], device=torch.device("cpu"), spacing=(3.0, 3.0, 3.0))
    fit = fit_scores(Oracle(), p, SimpleNamespace(patch=(8, 8, 8)))
    assert fit == {"dice": {"liver": 0.5, "spleen": 0.5}, "mean_dice": 0.5, "studies": 2}
