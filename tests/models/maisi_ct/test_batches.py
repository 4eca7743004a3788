"""Batched sampling with the tiny networks on the CPU: a study's bytes do not depend on the batch
it was sampled in, whatever else is in the batch, and a device that breaks this is caught."""

import logging
from dataclasses import replace

import numpy as np
import pytest
import torch

from models import GeneratorOptions, make_spec
from models.maisi_ct import invariant, weights
from models.maisi_ct.networks import KINDS, build, definitions
from models.maisi_ct.sampler import Draw, Sampler
from models.registry import create
from pipeline.config import dataset_hash, from_dict, to_dict

CPU = torch.device("cpu")
SHAPE = (32, 256, 256)
FAST = {"network": "tiny", "num_inference_steps": 1, "max_redraws": 0}


def sampler() -> Sampler:
    defs = definitions("tiny")
    nets = {kind: build(defs, kind) for kind in KINDS}
    weights.randomise(nets)
    return Sampler(defs, nets, 1.0, CPU)


def draws(s: Sampler, n: int) -> list[Draw]:
    """`n` different images: their own label maps, spacings, modality codes and noise."""
    made = []
    for i in range(n):
        label = np.zeros((256, 256, 32), dtype=np.uint8)
        label[40 + 10 * i : 200, 60:200, :] = 200
        label[100:150, 90 + 5 * i : 150, 4:20] = 1 + i
        noise = np.random.default_rng(i).standard_normal(s.latent_shape(label.shape), dtype=np.float32)
        made.append(Draw(label, (1.0 + 0.25 * i, 1.0 + 0.25 * i, 2.0 + i), (1, 8, 9)[i % 3], noise))
    return made


def test_each_latent_of_a_batch_has_the_bits_it_has_alone():
    # Decoding is per image (`sample_batch`); the generator test below compares whole images.
    s = sampler()
    batch = draws(s, 3)
    together = s.denoise_batch(batch, 2)
    alone = [s.denoise_batch([d], 2)[0] for d in batch]
    for a, b in zip(alone, together, strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(together[0], together[1])
    assert s.invariant == {(3, 4, 64, 64, 8): True}  # checked on its first step, bit for bit
    # The same images in another order, and beside another, get the same bits again.
    other = replace(batch[1], modality=8, noise=np.ascontiguousarray(batch[1].noise[::-1]))
    reordered = s.denoise_batch([batch[2], other, batch[0]], 2)
    assert torch.equal(reordered[0], together[2]) and torch.equal(reordered[2], together[0])


def test_without_the_per_sample_layers_the_cpu_is_not_exact_and_the_sampler_falls_back(monkeypatch, caplog):
    monkeypatch.setitem(invariant.SPLIT, "cpu", ())  # every layer batched, as oneDNN pleases
    s = sampler()
    batch = draws(s, 2)
    with caplog.at_level(logging.WARNING, logger="models.maisi_ct.sampler"):
        together = s.denoise_batch(batch, 1)
    assert "differs from its first sample alone" in caplog.text and "sampling one at a time" in caplog.text
    assert s.invariant == {(2, 4, 64, 64, 8): False}
    alone = [s.denoise_batch([d], 1)[0] for d in batch]
    assert all(torch.equal(a, b) for a, b in zip(alone, together, strict=True))


def test_a_group_of_studies_with_series_and_redraws_renders_as_each_alone():
    options = GeneratorOptions(shape=SHAPE, params={**FAST, "max_redraws": 1}, series=("ct_wo_contrast", "ct_contrast"))
    alone_g = create("maisi_ct", options)
    batched = GeneratorOptions(shape=SHAPE, params={**options.params, "batch": 3}, series=options.series)
    batched_g = create("maisi_ct", batched)
    assert batched_g.batch == 3 and alone_g.batch == 1
    specs = [make_spec(alone_g, 4, i) for i in range(2)]
    together = batched_g.render_batch(specs, CPU)
    alone = alone_g.render(specs[1], CPU)  # the second study, batched with the first's series
    study = together[1]
    assert np.array_equal(alone.image, study.image) and np.array_equal(alone.label, study.label)
    assert alone.qc == study.qc and study.qc.redraws == 1  # random weights fail MAISI's check
    assert not np.array_equal(together[0].image, study.image)
    assert all(s.timing["steps_s"] > 0 and s.timing["decode_s"] > 0 for s in together)
    # 4 images a round (2 studies x 2 series), in batches of 3 and 1, for both rounds.
    assert batched_g._samplers["cpu"].invariant == {(3, 4, 64, 64, 8): True}


def test_the_batch_is_left_out_of_the_config_hash():
    base = {
        "dataset": {"name": "b", "n_studies": 4, "shard_size": 2},
        "generator": {"name": "maisi_ct", "shape": list(SHAPE), "params": FAST},
        "storage": {"uri": "/tmp/unused"},
    }
    batched = {**base, "generator": {**base["generator"], "params": {**FAST, "batch": 4}}}
    other = {**base, "generator": {**base["generator"], "params": {**FAST, "num_inference_steps": 2}}}
    g = create("maisi_ct", GeneratorOptions(shape=SHAPE, params=FAST))
    hashes = [dataset_hash(from_dict(c), g) for c in (base, batched, other)]
    assert hashes[0] == hashes[1] != hashes[2]
    assert to_dict(from_dict(batched))["generator"]["params"]["batch"] == 4  # still recorded as asked


@pytest.mark.parametrize("value", [0, 65, 1.5, float("nan"), "four", [2]])
def test_a_bad_batch_is_refused(value):
    with pytest.raises(Exception, match=r"params\.batch"):
        create("maisi_ct", GeneratorOptions(shape=SHAPE, params={**FAST, "batch": value}))


def test_decode_memory_gib_plans_the_decode_on_any_device():
    g = create("maisi_ct", GeneratorOptions(shape=SHAPE, params={**FAST, "decode_memory_gib": 140}))
    study = g.render(make_spec(g, 0, 0), CPU)
    assert study.timing["decode_plan"] == "peaks_140g_64x64x8"  # the whole latent, one window
    default = create("maisi_ct", GeneratorOptions(shape=SHAPE, params=FAST)).render(make_spec(g, 0, 0), CPU)
    assert default.timing["decode_plan"] == "config_infer"
