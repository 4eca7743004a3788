"""The one training loop and the whole-volume inference."""

import numpy as np
import pytest
import torch

from pipeline import segmentation
from pipeline.errors import ConfigError
from pipeline.evaluate.patches import Patches
from pipeline.evaluate.volumes import Volume


def test_fit_runs_its_steps_across_epochs_and_predict_covers_the_volume():
    label = np.zeros((16, 16, 16), dtype=np.uint8)
    label[4:12, 4:12, 4:12] = 1
    stream = Patches([Volume("v", label.astype(np.float32), label, (1.0, 1.0, 1.0))], (8, 8, 8), 2, seed=0)
    torch.manual_seed(0)
    model = segmentation.build(1, (4, 8))
    state = segmentation.new_state()
    seen = []
    segmentation.fit(
        model,
        torch.optim.Adam(model.parameters(), 1e-2),
        torch.utils.data.DataLoader(stream, batch_size=1),
        stream,
        state,
        5,
        torch.device("cpu"),
        lambda s: seen.append(s["step"]),
    )
    assert state["step"] == 5 and state["epoch"] == 2 and seen == [1, 2, 3, 4, 5] and len(state["losses"]) == 5
    predicted = segmentation.predict(
        model, torch.from_numpy(label.astype(np.float32))[None], (8, 8, 8), torch.device("cpu")
    )
    assert predicted.shape == (16, 16, 16) and set(np.unique(predicted.numpy())) <= {0, 1}


def test_an_empty_stream_is_an_error_not_a_loop():
    stream = Patches([], (8, 8, 8), 2, seed=0)
    model = segmentation.build(1, (4, 8))
    with pytest.raises(ConfigError, match="yielded no samples"):
        segmentation.fit(
            model, torch.optim.Adam(model.parameters()), [], stream, segmentation.new_state(), 3, torch.device("cpu")
        )
