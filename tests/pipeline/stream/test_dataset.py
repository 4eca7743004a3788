"""StudyStream and StreamLoader on real datasets (local and S3), read with real zarr."""

import os
import threading
from functools import partial
from itertools import chain
from pathlib import Path

import numpy as np
import pytest
import torch
import zarr
from monai.transforms import Compose, RandFlipd, RandRotate90d, ScaleIntensityRanged

from pipeline.errors import ConfigError
from pipeline.stream import StreamLoader, StudyStream
from pipeline.stream.dataset import prefetch_next, read_ahead
from tests.conftest import build_in_process, small_config

PATCH = (32, 32, 32)


def volume(uri: str, study_id: str, shard: int) -> tuple[np.ndarray, np.ndarray]:
    group = zarr.open_group(f"{uri}/studies/{shard:06d}/{study_id}.zarr", mode="r")
    return group["0"][...], group["labels/anatomy/0"][...]


def key(sample) -> tuple:
    return sample["study_id"], int(sample["patch"]), tuple(sample["origin"].tolist())


def test_whole_volumes_in_the_catalog_order(uri):
    stream = StudyStream(uri, shuffle=False, normalize="none")
    samples = list(stream)
    assert [s["study_id"] for s in samples] == [f"s{i:09d}" for i in range(6)]
    image, label = volume(uri, "s000000004", 1)
    assert torch.equal(samples[4]["image"][0], torch.from_numpy(image.astype(np.float32)))
    assert torch.equal(samples[4]["label"][0], torch.from_numpy(label))
    assert samples[4]["image"].shape == (1, 64, 96, 96) and samples[4]["label"].dtype == torch.uint8


@pytest.mark.parametrize("sampling", ["uniform", "balanced"])
def test_patches_equal_the_same_slice_of_the_full_volume(uri, sampling):
    stream = StudyStream(uri, patch_size=PATCH, patches_per_study=3, sampling=sampling, normalize="none")
    for sample in stream:
        image, label = volume(uri, sample["study_id"], sample["index"] // 3)
        z, y, x = sample["origin"].tolist()
        window = (slice(z, z + 32), slice(y, y + 32), slice(x, x + 32))
        assert np.array_equal(sample["image"][0].numpy(), image[window].astype(np.float32))
        assert np.array_equal(sample["label"][0].numpy(), label[window])


def test_balanced_sampling_centres_on_labelled_organs(uri):
    organs = ("liver", "spleen", "right kidney", "left kidney")

    def positive_share(sampling: str) -> float:
        stream = StudyStream(
            uri,
            patch_size=(16, 16, 16),
            patches_per_study=20,
            sampling=sampling,
            pos_fraction=1.0,
            pos_labels=organs,
            classes=organs,
        )
        return float(np.mean([(s["label"] > 0).any().item() for s in stream]))

    assert positive_share("balanced") == 1.0
    assert positive_share("uniform") < 0.8


def test_normalisation_and_classes(uri):
    sample = next(iter(StudyStream(uri, patch_size=PATCH, classes=("liver", "spleen"), shuffle=False)))
    assert sample["image"].dtype == torch.float32
    assert sample["image"].min() >= 0.0 and sample["image"].max() <= 1.0  # CT window to [0, 1]
    assert sample["label"].dtype == torch.int64 and set(sample["label"].unique().tolist()) <= {0, 1, 2}
    z = next(iter(StudyStream(uri, normalize="zscore", shuffle=False)))
    _, label = volume(uri, "s000000000", 0)
    assert abs(float(z["image"][0][torch.from_numpy(label > 0)].mean())) < 1e-3


@pytest.mark.parametrize("workers", [0, 2])
def test_a_dataloader_yields_each_sample_once_per_epoch(uri, workers):
    stream = StudyStream(uri, patch_size=(16, 16, 16), patches_per_study=3)
    loader = torch.utils.data.DataLoader(stream, batch_size=4, num_workers=workers)
    seen = [(sid, int(k)) for batch in loader for sid, k in zip(batch["study_id"], batch["patch"], strict=True)]
    assert sorted(seen) == sorted((f"s{i:09d}", k) for i in range(6) for k in range(3))


def test_ranks_split_the_epoch_without_overlap(uri):
    shares = [
        list(map(key, StudyStream(uri, patch_size=(16, 16, 16), patches_per_study=2, rank=r, world_size=3)))
        for r in range(3)
    ]
    assert [len(s) for s in shares] == [4, 4, 4]
    everything = list(map(key, StudyStream(uri, patch_size=(16, 16, 16), patches_per_study=2)))
    assert sorted(chain.from_iterable(shares)) == sorted(everything)


def test_epochs_reshuffle_and_resample_deterministically(uri):
    stream = StudyStream(uri, patch_size=(16, 16, 16), patches_per_study=2, seed=7)
    first = list(map(key, stream))
    stream.set_epoch(1)
    second = list(map(key, stream))
    assert first != second and sorted(k[:2] for k in first) == sorted(k[:2] for k in second)
    again = StudyStream(uri, patch_size=(16, 16, 16), patches_per_study=2, seed=7, epoch=1)
    assert list(map(key, again)) == second


def test_in_process_resume_continues_the_exact_sequence(uri):
    options = {"patch_size": (16, 16, 16), "patches_per_study": 3, "seed": 3}
    full = list(map(key, StudyStream(uri, **options)))
    stream = StudyStream(uri, **options)
    it = iter(stream)
    head = [key(next(it)) for _ in range(7)]
    state = stream.state_dict()
    assert state["samples"] == 7
    resumed = StudyStream(uri, **options)
    resumed.load_state_dict(state)
    assert head + list(map(key, resumed)) == full


def test_stream_loader_resume_with_two_workers(uri):
    options = {"patch_size": (16, 16, 16), "patches_per_study": 3, "seed": 5}

    def batches(loader, n=None):
        out = []
        for batch in loader:
            out.append([(s, int(k)) for s, k in zip(batch["study_id"], batch["patch"], strict=True)])
            if n is not None and len(out) == n:
                break
        return out

    full = batches(StreamLoader(StudyStream(uri, **options), batch_size=2, num_workers=2))
    in_stream_order = [(k[0], k[1]) for k in map(key, StudyStream(uri, **options))]
    assert list(chain.from_iterable(full)) == in_stream_order
    loader = StreamLoader(StudyStream(uri, **options), batch_size=2, num_workers=2)
    head = batches(loader, n=3)
    state = loader.state_dict()
    assert state["samples"] == 6
    resumed = StreamLoader(StudyStream(uri, **options), batch_size=2, num_workers=2)
    resumed.load_state_dict(state)
    assert head + batches(resumed) == full


def record_parent(folder: Path, worker_id: int) -> None:
    (folder / f"worker-{worker_id}").write_text(str(os.getppid()))


def test_stream_loader_workers_are_not_forks_of_a_threaded_process(uri, tmp_path):
    """Forking a process that runs threads (this one runs Ray's, DuckDB's) can crash the child:
    the workers start from a fork server instead, and read the same batches."""
    options = {"patch_size": (16, 16, 16), "patches_per_study": 2, "seed": 5}
    loader = StreamLoader(
        StudyStream(uri, **options), batch_size=2, num_workers=2, worker_init_fn=partial(record_parent, tmp_path)
    )
    assert loader.multiprocessing_context.get_start_method() == "forkserver"
    seen = [(s, int(k)) for batch in loader for s, k in zip(batch["study_id"], batch["patch"], strict=True)]
    parents = {int((tmp_path / f"worker-{w}").read_text()) for w in range(2)}
    assert os.getpid() not in parents
    assert seen == [(k[0], k[1]) for k in map(key, StudyStream(uri, **options))]
    forked = StreamLoader(StudyStream(uri, **options), batch_size=2, num_workers=2, multiprocessing_context="fork")
    assert forked.multiprocessing_context.get_start_method() == "fork"  # asked for, it is what it gets


def test_state_from_another_selection_is_refused(uri):
    state = StudyStream(uri, patch_size=PATCH).state_dict()
    with pytest.raises(ConfigError, match="state_dict"):
        StudyStream(uri, patch_size=PATCH, where="index < 3").load_state_dict(state)


@pytest.mark.parametrize(
    "change", [{"samples": 10**6}, {"samples": -1}, {"samples": "3"}, {"epoch": -2}, {"epoch": 1.5}, {"samples": None}]
)
def test_a_position_the_stream_cannot_have_is_refused(uri, change):
    """Issue 28: an impossible position used to yield nothing, silently."""
    stream = StudyStream(uri, patch_size=PATCH)
    state = {**stream.state_dict(), **change}
    with pytest.raises(ConfigError, match=f"state_dict: {next(iter(change))} must be a whole number"):
        stream.load_state_dict(state)


def test_samples_go_through_monai_dictionary_transforms(uri):
    transforms = Compose(
        [
            ScaleIntensityRanged(keys="image", a_min=0.0, a_max=1.0, b_min=-1.0, b_max=1.0),
            RandFlipd(keys=["image", "label"], prob=1.0, spatial_axis=0),
            RandRotate90d(keys=["image", "label"], prob=1.0, spatial_axes=(1, 2)),
        ]
    )
    sample = next(iter(StudyStream(uri, patch_size=PATCH, classes=("liver",))))
    out = transforms(sample)
    assert out["image"].shape == (1, *PATCH) and out["label"].shape == (1, *PATCH)
    assert out["image"].min() >= -1.0 and out["study_id"] == sample["study_id"]


@pytest.mark.parametrize(
    ("keywords", "field"),
    [
        ({"patch_size": (0, 32, 32)}, "patch_size"),
        ({"patches_per_study": 2}, "patches_per_study"),
        ({"patch_size": PATCH, "sampling": "random"}, "sampling"),
        ({"normalize": "minmax"}, "normalize"),
        ({"patch_size": PATCH, "classes": ("appendix",)}, "classes"),
        ({"where": "nosuch > 1"}, "query"),
    ],
)
def test_bad_options_name_the_field(uri, keywords, field):
    with pytest.raises(Exception, match=rf"^{field}:"):
        next(iter(StudyStream(uri, **keywords)))


def build_on_s3(s3) -> None:
    """Four small abdomen studies at `s3.uri("ds")`: the first four of the local `uri` fixture's."""
    cfg = small_config(
        s3.uri("ds"),
        *s3.overrides("ds"),
        "dataset.n_studies=4",
        "dataset.shard_size=2",
        "generator.shape=[64,96,96]",
        "storage.chunk=[32,32,32]",
        "generator.params.body_region=abdomen",
    )
    build_in_process(cfg)


def test_s3_with_a_size_limited_local_cache(s3, uri, tmp_path):
    build_on_s3(s3)
    cache = tmp_path / "cache"
    remote = StudyStream(
        s3.uri("ds"),
        patch_size=PATCH,
        patches_per_study=2,
        storage_options=s3.options,
        cache_dir=str(cache),
        cache_limit_gb=0.5 / 1024,
    )  # 0.5 MiB: about two studies
    local = StudyStream(uri, patch_size=PATCH, patches_per_study=2, where="index < 4")
    got = {key(s): s for s in remote}
    expected = {key(s): s for s in local}
    assert got.keys() == expected.keys()
    for k, sample in got.items():
        assert torch.equal(sample["image"], expected[k]["image"])
    cached = list(cache.glob("*/studies/*/*.zarr"))
    assert 1 <= len(cached) < 4  # evicted down to the limit
    assert sum(f.stat().st_size for f in cache.rglob("*") if f.is_file()) <= 0.5 * 2**20 + 300_000


def test_s3_read_directly_yields_the_local_samples_in_order(s3, uri):
    """No cache: each patch's chunks come in one concurrent batch, image with label, the next
    sample read ahead; the same samples, in the same order, as the same studies read locally."""
    build_on_s3(s3)
    remote = list(StudyStream(s3.uri("ds"), patch_size=PATCH, patches_per_study=2, storage_options=s3.options))
    local = list(StudyStream(uri, patch_size=PATCH, patches_per_study=2, where="index < 4"))
    assert [key(s) for s in remote] == [key(s) for s in local]
    for a, b in zip(remote, local, strict=True):
        assert torch.equal(a["image"], b["image"]) and torch.equal(a["label"], b["label"]), key(a)


def test_read_ahead_keeps_the_order_and_loads_at_most_ahead_samples_at_once():
    started: list[int] = []
    together = threading.Barrier(3, timeout=10)  # passes only if the first three load at once

    def load(position: int) -> int:
        started.append(position)
        if position < 3:
            together.wait()
        if position == 7:
            raise ValueError("seven")
        return position * 10

    seen = []
    for value in read_ahead(load, range(8), 3):
        seen.append(value)
        assert len(started) <= len(seen) + 3  # this one and, at most, the next three
        if value == 60:
            break
    assert seen == [0, 10, 20, 30, 40, 50, 60]
    with pytest.raises(ValueError, match="seven"):
        list(read_ahead(load, [6, 7, 8], 2))


def test_the_next_samples_chunks_are_asked_for_while_this_one_loads():
    asked = {j: threading.Event() for j in range(5)}

    def load(j):
        if j + 1 < 5:
            assert asked[j + 1].wait(10), f"sample {j + 1} not asked for while {j} loads"
        return j * 10

    assert list(prefetch_next(load, 5, lambda j: asked[j].set())) == [0, 10, 20, 30, 40]
    assert not asked[0].is_set()  # the first is read, not prefetched


def test_mr_is_z_scored_on_its_foreground_by_default(brain_dataset):
    sample = next(iter(StudyStream(brain_dataset.storage.uri, shuffle=False)))
    labelled = sample["label"][0] > 0
    assert abs(float(sample["image"][0][labelled].mean())) < 0.05
    assert abs(float(sample["image"][0][labelled].std()) - 1.0) < 0.05


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"classes": ("nosuchorgan",)}, "classes: no label 'nosuchorgan'"),
        ({"patch_size": (32, 32, 32), "sampling": "balanced", "pos_labels": ("nosuch",)}, "pos_labels: no label"),
        ({"patch_size": (32, 32, 32), "patches_per_study": 2.5}, "patches_per_study: must be a whole number"),
        ({"seed": -1}, "seed, epoch: must not be negative"),
        ({"shuffle_buffer": "x"}, "shuffle_buffer: must be a whole number"),
        ({"window": (float("nan"), 1.0)}, r"window\[0\]: must be a finite number"),
        ({"patch_size": (32, 32)}, "patch_size: must be 3 positive sizes"),
        ({"where": 5}, "where: must be a string"),
        ({"colour": "red"}, "colour: unknown key"),
        ({"cache_limit_gb": float("inf")}, "cache_limit_gb: must be a finite number"),
        ({"rank": 1}, "rank: set world_size too"),
        ({"read_ahead": "4"}, "read_ahead: must be a whole number"),
        ({"read_ahead": True}, "read_ahead: must be a whole number"),
    ],
)
def test_bad_keywords_fail_when_the_stream_is_made(uri, keywords, message):
    with pytest.raises(ConfigError, match=message):
        StudyStream(uri, **keywords)


@pytest.mark.parametrize(
    ("keywords", "message"), [({"batch_size": 0}, "batch_size"), ({"num_workers": -1}, "num_workers")]
)
def test_bad_loader_arguments_fail_when_the_loader_is_made(uri, keywords, message):
    with pytest.raises(ConfigError, match=message):
        StreamLoader(StudyStream(uri), **keywords)


# --- studies of several series ----------------------------------------------------------------


def series_key(sample) -> tuple:
    return (sample["study_id"], int(sample["patch"]), sample["series"], tuple(sample["origin"].tolist()))


def test_series_stack_as_channels_in_the_order_asked(series_dataset):
    uri = series_dataset.storage.uri
    asked = ("delayed", "non_contrast")
    stream = StudyStream(uri, series=asked, normalize="none", shuffle=False)
    sample = next(iter(stream))
    group = zarr.open_group(f"{uri}/studies/000000/s000000000.zarr", mode="r")
    image, label = group["0"][...], group["labels/anatomy/0"][...]
    assert sample["image"].shape == (2, 48, 64, 64) and sample["label"].shape == (1, 48, 64, 64)
    assert np.array_equal(sample["image"][0].numpy(), image[3]) and np.array_equal(sample["image"][1].numpy(), image[0])
    assert np.array_equal(sample["label"][0].numpy(), label[0]) and sample["series"] == "delayed,non_contrast"
    assert sample["series_index"].tolist() == [3, 0]
    first = next(iter(StudyStream(uri, normalize="none", shuffle=False)))  # None: the first series
    assert first["image"].shape == (1, 48, 64, 64) and np.array_equal(first["image"][0].numpy(), image[0])


def test_each_series_is_z_scored_by_its_own_statistics(series_dataset):
    uri = series_dataset.storage.uri
    sample = next(iter(StudyStream(uri, series=("non_contrast", "arterial"), normalize="zscore", shuffle=False)))
    body = sample["label"][0] > 0
    for k in range(2):
        assert abs(float(sample["image"][k][body].mean())) < 1e-3
        assert abs(float(sample["image"][k][body].std()) - 1.0) < 1e-2


def test_random_series_is_drawn_from_the_epoch_seed_and_resumes_exactly(series_dataset):
    uri = series_dataset.storage.uri
    options = {"series": "random", "patch_size": (16, 16, 16), "patches_per_study": 4, "seed": 9}
    full = list(map(series_key, StudyStream(uri, **options)))
    assert full == list(map(series_key, StudyStream(uri, **options)))
    assert {k[2] for k in full} == {"non_contrast", "arterial", "portal_venous", "delayed"}
    other = StudyStream(uri, **options)
    other.set_epoch(1)
    assert list(map(series_key, other)) != full
    stream = StudyStream(uri, **options)
    it = iter(stream)
    head = [series_key(next(it)) for _ in range(5)]
    resumed = StudyStream(uri, **options)
    resumed.load_state_dict(stream.state_dict())
    assert head + list(map(series_key, resumed)) == full
    shares = [list(map(series_key, StudyStream(uri, **options, rank=r, world_size=2))) for r in range(2)]
    assert sorted(shares[0] + shares[1]) == sorted(full) and not set(shares[0]) & set(shares[1])


def test_series_options_are_checked_against_the_dataset(series_dataset, uri):
    with pytest.raises(ConfigError, match=r"^series: no series 'venous'"):
        StudyStream(series_dataset.storage.uri, series=("venous",))
    with pytest.raises(ConfigError, match=r"^series: must be a tuple"):
        StudyStream(series_dataset.storage.uri, series="arterial")
    with pytest.raises(ConfigError, match=r"^series: .* holds one series per study"):
        StudyStream(uri, series="random")
