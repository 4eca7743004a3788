"""MAISI's sampling with the tiny random-weight networks on the CPU: the label map and the modality
code steer the image, and caching the label embedding changes nothing but time."""

import numpy as np
import torch

from models.maisi_ct import weights
from models.maisi_ct.networks import KINDS, build, definitions
from models.maisi_ct.sampler import Draw, Sampler
from models.maisi_ct.sizing import decode_plan

CPU = torch.device("cpu")


def test_the_label_map_steers_the_image():
    """Same noise, two conditions: the images differ where the labels differ."""
    defs = definitions("tiny")
    nets = {kind: build(defs, kind) for kind in KINDS}
    weights.randomise(nets)
    sampler = Sampler(defs, nets, 1.0, CPU)
    label = np.zeros((256, 256, 32), dtype=np.uint8)
    label[40:216, 40:216, :] = 200
    other = label.copy()
    other[80:176, 80:176, :] = 1
    noise = np.random.default_rng(0).standard_normal(sampler.latent_shape(label.shape), dtype=np.float32)
    plan = decode_plan(label.shape, None)
    a = sampler.sample(Draw(label, (1.5, 1.5, 5.0), 1, noise), 1, plan)
    b = sampler.sample(Draw(other, (1.5, 1.5, 5.0), 1, noise), 1, plan)
    c = sampler.sample(Draw(label, (1.5, 1.5, 5.0), 3, noise), 1, plan)  # another modality code
    assert a.shape == label.shape and a.dtype == np.float32
    assert np.abs(a - b)[80:176, 80:176].mean() > 1.0 and not np.array_equal(a, c)


def test_caching_the_label_embedding_changes_nothing_but_time():
    defs = definitions("tiny")
    nets = {kind: build(defs, kind) for kind in KINDS}
    weights.randomise(nets)
    label = np.zeros((256, 256, 32), dtype=np.uint8)
    label[60:200, 60:200, :] = 200
    label[100:150, 100:150, 4:20] = 1
    noise = np.random.default_rng(1).standard_normal((4, 64, 64, 8), dtype=np.float32)
    images = [
        Sampler(defs, nets, 1.0, CPU, cache_condition=cached).sample(
            Draw(label, (1.5, 1.5, 5.0), 1, noise), 3, decode_plan(label.shape, None)
        )
        for cached in (True, False)
    ]
    assert np.allclose(images[0], images[1], atol=0.01)
