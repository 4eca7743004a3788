"""maisi_ct with the tiny random-weight networks on the CPU: the study contract, determinism,
quality control and redraws, conditioning, weights folders and every option it refuses."""

from functools import cache

import nibabel as nib
import numpy as np
import pytest
import torch

from models import GeneratorOptions, ParamError, make_spec
from models.base import BaseGenerator
from models.maisi_ct import weights
from models.maisi_ct.generator import DEFAULT_SHAPE, _gpu_share_gib
from models.maisi_ct.networks import KINDS, build, definitions
from models.maisi_ct.sizing import decode_plan
from models.registry import create
from pipeline.run.worker import worker_device
from pipeline.store.folder import open_folder
from tests.support.fakecuda import TOTAL_BYTES

CPU = torch.device("cpu")
SHAPE = (32, 256, 256)  # MAISI's smallest: 256 x 256 in-plane, z one multiple of 32
FAST = {"network": "tiny", "num_inference_steps": 2, "max_redraws": 0}


def generator(shape=SHAPE, **params):
    return create("maisi_ct", GeneratorOptions(shape=shape, params={**FAST, **params}, open_folder=open_folder))


@cache
def rendered(index: int = 0, **params):
    g = generator(**params)
    spec = make_spec(g, 0, index)
    return g, spec, g.render(spec, CPU)


def test_a_study_is_int16_hu_with_its_uint8_condition():
    g, spec, study = rendered()
    assert study.image.dtype == np.int16 and study.image.shape == SHAPE
    assert study.label.dtype == np.uint8 and study.label.shape == SHAPE
    assert study.image.min() >= -1000 and study.image.max() <= 1000
    assert (study.image[study.label == 0] == -1000).all()  # MAISI's background
    assert (study.label == g.label_dict.value("body")).any() and (study.label == g.label_dict.value("liver")).any()
    assert study.spacing_mm == tuple(spec.params["spacing_mm"])
    assert spec.params["modality"] == "CT" and spec.params["num_inference_steps"] == 2
    assert study.timing["decode_plan"] == "config_infer" and study.timing["steps_s"] > 0
    assert g.version == "0.6.0+tiny.random"


def test_the_condition_is_the_phantoms_label_map_of_the_same_study():
    g, spec, study = rendered()
    label, spacing = g.phantom.label_map(spec.params, spec.seed)
    assert np.array_equal(study.label, label) and study.spacing_mm == spacing


def test_rendering_is_deterministic_across_generator_instances():
    _, spec, study = rendered()
    again = generator().render(spec, CPU)
    assert np.array_equal(again.image, study.image) and np.array_equal(again.label, study.label)
    _, _, other = rendered(1)
    assert not np.array_equal(other.image, study.image)


def test_weights_from_a_folder_drive_the_same_networks(tmp_path):
    """Write the random weights as a MAISI folder: loading it must reproduce them exactly."""
    defs = definitions("tiny")
    nets = {kind: build(defs, kind) for kind in KINDS}
    weights.randomise(nets)
    weights.save(nets, 1.0, tmp_path / "w")
    _, spec, study = rendered()
    g = generator(weights_dir=str(tmp_path / "w"))
    assert g.version == f"0.6.0+tiny.{weights.fingerprint(tmp_path / 'w')[:12]}"
    assert np.array_equal(g.render(spec, CPU).image, study.image)


def test_modality_code_follows_the_contrast_phase_unless_set():
    for phase, code in [("non_contrast", "ct_wo_contrast"), ("arterial", "ct_contrast")]:
        spec = make_spec(generator(contrast=phase), 0, 0)
        assert spec.params["modality_code"] == code and spec.params["contrast"] == phase
    assert make_spec(generator(modality_code="ct"), 0, 0).params["modality_code"] == "ct"


def test_spacing_fits_the_region_within_maisis_limits():
    spec = make_spec(generator(shape=(256, 256, 256), body_region="chest"), 0, 0)
    z, y, x = spec.params["spacing_mm"]
    assert 0.5 <= z <= 5.0 and 0.5 <= x == y <= 3.0 and spec.params["shape"] == [256, 256, 256]
    assert make_spec(generator(shape=(32, 256, 256)), 0, 0).params["spacing_mm"][0] == 5.0  # clamped
    fixed = create("maisi_ct", GeneratorOptions(shape=SHAPE, spacing_mm=(2.0, 1.0, 1.0), params=FAST))
    assert make_spec(fixed, 0, 0).params["spacing_mm"] == [2.0, 1.0, 1.0]


def test_masks_as_the_condition(tmp_path):
    data = np.zeros((256, 256, 32), dtype=np.uint8)
    data[150:200, 90:160, 2:30] = 1
    data[60:200, 60:200, 2:30][data[60:200, 60:200, 2:30] == 0] = 200
    nib.save(nib.Nifti1Image(data, np.diag([1.2, 1.2, 4.0, 1.0])), tmp_path / "case.nii.gz")
    g = create("maisi_ct", GeneratorOptions(params={**FAST, "label_source": "masks", "masks_dir": str(tmp_path)}))
    spec = make_spec(g, 0, 0)
    assert spec.params["mask_file"] == "case.nii.gz" and spec.params["modality_code"] == "ct"
    assert spec.params["shape"] == [32, 256, 256] and spec.params["spacing_mm"] == [4.0, 1.2, 1.2]
    study = g.render(spec, CPU)
    assert study.image.shape == (32, 256, 256) and (study.label == 1).sum() == (data == 1).sum()
    assert study.columns["mask_file"] == "case.nii.gz" and len(g.label_dict.labels) > 100


@pytest.mark.parametrize(
    ("shape", "params", "field", "says"),
    [
        ((8, 256, 256), {}, "generator.shape", "maisi_ct makes 3 sizes (z, y, x) each within [16, 1024]"),  # the base's
        ((48, 256, 256), {}, "generator.shape", "multiple of 32"),  # then MAISI's own
        ((32, 256, 128), {}, "generator.shape", "x = y"),
        (SHAPE, {"network": "huge"}, "generator.params.network", "must be one of ['maisi', 'tiny']"),
        (SHAPE, {"num_inference_steps": 0}, "generator.params.num_inference_steps", "within [1, 1000]"),
        (SHAPE, {"num_inference_steps": 2.5}, "generator.params.num_inference_steps", "whole number"),
        (SHAPE, {"weights_dir": "/no/such/folder"}, "generator.params.weights_dir", "is not a folder"),
        (SHAPE, {"masks_dir": "/tmp"}, "generator.params.masks_dir", "only with params.label_source=masks"),
        (None, {"label_source": "masks"}, "generator.params.masks_dir", "must name a folder"),
        (SHAPE, {"label_source": "masks", "masks_dir": "/tmp"}, "generator.shape", "must be null"),
        (None, {"label_source": "masks", "masks_dir": "/tmp", "sex": "F"}, "generator.params.sex", "only with"),
        (SHAPE, {"noise_hu": 10}, "generator.params.noise_hu", "unknown parameter"),
        (SHAPE, {"body_region": "head"}, "generator.params.body_region", "must be one of"),
        (SHAPE, {"modality_code": "mri"}, "generator.params.modality_code", "must be one of"),
    ],
)
def test_options_it_refuses(shape, params, field, says):
    with pytest.raises(ParamError) as err:
        create("maisi_ct", GeneratorOptions(shape=shape, params={**FAST, **params}))
    assert str(err.value).startswith(f"{field}: ") and says in str(err.value)


def test_bad_spacing_is_refused():
    with pytest.raises(ParamError, match=r"generator\.spacing_mm: maisi_ct needs z spacing"):
        create("maisi_ct", GeneratorOptions(shape=SHAPE, spacing_mm=(8.0, 1.0, 1.0), params=FAST))
    with pytest.raises(ParamError, match=r"generator\.spacing_mm: maisi_ct takes 3 spacings .* within \[0.2, 10\]"):
        create("maisi_ct", GeneratorOptions(shape=SHAPE, spacing_mm=(1.0, 1.0), params=FAST))


def test_it_keeps_its_grid_and_params_on_the_base():
    g = generator(body_region="chest")
    assert isinstance(g, BaseGenerator) and g.shape == SHAPE and g.shape_given and g.spacing is None
    assert g.params["num_inference_steps"] == 2 and "body_region" not in g.params
    assert g.phantom.params["body_region"] == ("chest",)  # the phantom's choices, passed on to it
    assert generator(shape=None).shape == DEFAULT_SHAPE and not generator(shape=None).shape_given


def test_a_prepared_study_renders_the_same_and_is_not_kept():
    _, spec, study = rendered()
    g = generator()
    g.prepare(spec)
    assert spec.study_id in g._prepared
    again = g.render(spec, CPU)
    assert np.array_equal(again.image, study.image) and np.array_equal(again.label, study.label)
    assert g._prepared == {}
    for i in range(5):  # never more than a couple of label maps held
        g.prepare(make_spec(g, 0, i))
    assert len(g._prepared) <= 2


def test_series_are_modality_codes_under_one_label_map_each_with_its_own_noise():
    series = ("ct_wo_contrast", "ct_contrast")
    g = create("maisi_ct", GeneratorOptions(shape=SHAPE, params=FAST, series=series))
    spec = make_spec(g, 0, 0)
    assert spec.params["series"] == list(series) and spec.params["modality_code"] == "ct_wo_contrast"
    study = g.render(spec, CPU)
    assert study.series == series and study.image.shape == (2, *SHAPE) and study.label.shape == SHAPE
    _, _, single = rendered()
    assert np.array_equal(study.label, single.label)  # the same anatomy as the single-series study
    assert not np.array_equal(study.image[0], study.image[1])  # another code, another latent noise
    with pytest.raises(ParamError, match=r"^generator\.params\.modality_code"):
        create("maisi_ct", GeneratorOptions(shape=SHAPE, params={**FAST, "modality_code": "ct"}, series=series))


def test_on_a_gpu_worker_the_decode_is_planned_for_its_share_of_the_card(fake_cuda):
    # The worker's device as Ray's actors get it: half an H200 each (`ray.gpus_per_worker=0.5`).
    device = worker_device(0.5)
    share = TOTAL_BYTES / 2**30 * 0.5
    assert _gpu_share_gib(device) == pytest.approx(share)
    assert _gpu_share_gib(torch.device("cuda")) == pytest.approx(share)  # index-less: the current device
    assert _gpu_share_gib(CPU) is None
    g = generator(shape=(256, 256, 256))
    job = g._job(make_spec(g, 0, 0), device)  # the plan every render on that worker makes
    assert job.plan == decode_plan(job.label_xyz.shape, share, g.defs.vae_stride)
    assert job.plan.source != decode_plan(job.label_xyz.shape, None, g.defs.vae_stride).source
