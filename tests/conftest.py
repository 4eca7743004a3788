"""Shared fixtures: one real local Ray per session (ray.init costs seconds), one real S3 API per
session (moto's threaded server on 127.0.0.1, reset between tests), real files."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import ray

from infra.local.cluster import free_port
from pipeline.config import job as config_module
from pipeline.config.job import GenerateConfig
from tests.support.fakecuda import fake_cuda  # noqa: F401  (a fixture for every test)

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "models", "jobs", "infra")  # the project's code, mirrored under tests/
DEFAULTS = REPO / "jobs" / "configs" / "generate.yaml"

# Fake credentials, set before Ray starts so its workers inherit them. Distinctive, so a test can
# search every output for them; and no real lookups (instance metadata, ~/.aws) ever happen.
FAKE_KEY_ID = "MEDSYNTHFAKEKEYID0042"
FAKE_SECRET = "medsynth-fake-secret-never-to-be-written"
os.environ.update(
    AWS_ACCESS_KEY_ID=FAKE_KEY_ID,
    AWS_SECRET_ACCESS_KEY=FAKE_SECRET,
    AWS_DEFAULT_REGION="us-east-1",
    AWS_EC2_METADATA_DISABLED="true",
    AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    AWS_CONFIG_FILE=os.devnull,
)
BUCKET = "medsynth-test"
# Debian's Chromium, headless, driven by Playwright (no browser download: the executable is the
# system's). `make test` installs it and requires the browser tests; elsewhere they are skipped.
CHROMIUM = os.environ.get("MEDSYNTH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
# The flags a closed network needs: no background connections, no component updates.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Hypothesis keeps its example database and caches under the working folder unless told otherwise.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", tempfile.mkdtemp(prefix="medsynth-hypothesis-"))


# What the tests may leave changed in the checkout: caches of tools, never data or results.
UNTOUCHED_EXCEPT = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "medsynth.egg-info"}


def checkout_files() -> dict[str, tuple[int, int]]:
    """Every file of the checkout (outside tool caches) with its size and modification time."""
    found = {}
    for folder, subfolders, files in os.walk(REPO):
        subfolders[:] = [d for d in subfolders if d not in UNTOUCHED_EXCEPT]
        for name in files:
            path = os.path.join(folder, name)
            with contextlib.suppress(FileNotFoundError):
                stat = os.stat(path)
                found[os.path.relpath(path, REPO)] = (stat.st_size, stat.st_mtime_ns)
    return found


RAY_GROUP = "ray"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `make test` (pytest-xdist, `--dist loadgroup`) every test that uses the session's Ray
    runs in one process, so one Ray starts, not one per process; the others spread over both."""
    for item in items:
        if "ray_session" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(RAY_GROUP))


@pytest.fixture(scope="session", autouse=True)
def outside_the_checkout(tmp_path_factory) -> Iterator[None]:
    """Every test runs in a scratch folder (a relative path such as the default `./data/demo`
    lands there), benchmarks write their scratch datasets outside too, and the session fails if
    anything in the checkout was written: `make demo && make test` must not meet each other."""
    before = checkout_files()
    previous = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    os.environ["MEDSYNTH_BENCH_TMP"] = str(tmp_path_factory.mktemp("bench"))
    yield
    os.chdir(previous)
    after = checkout_files()
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if changed:
        pytest.fail(f"the tests wrote into the checkout: {', '.join(changed[:10])}", pytrace=False)


@dataclass(frozen=True)
class S3:
    endpoint: str
    bucket: str
    options: dict = field(default_factory=dict)

    def uri(self, name: str) -> str:
        return f"s3://{self.bucket}/{name}"

    def overrides(self, name: str) -> list[str]:
        return [f"storage.uri={self.uri(name)}", f"storage.options.endpoint_url={self.endpoint}"]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(moto_endpoint: str) -> S3:
    """An empty bucket on the session's S3 API (every bucket and object of earlier tests gone)."""
    import s3fs

    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")).close()
    s3fs.S3FileSystem.clear_instance_cache()
    s3fs.S3FileSystem(endpoint_url=moto_endpoint).mkdir(BUCKET)
    return S3(moto_endpoint, BUCKET, {"endpoint_url": moto_endpoint})


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium per test module (its WebGL is SwiftShader's, in software). Not per
    session: Playwright's sync API keeps an event loop of its own while it is open."""
    if CHROMIUM is None:
        if os.environ.get("MEDSYNTH_REQUIRE_BROWSER"):
            pytest.fail("no chromium found (make test installs Debian's chromium package)")
        pytest.skip("no chromium on this machine")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    """A real local Ray for the whole session, with room for two workers and the driver's tasks.
    Its daemons' and workers' logs stay in Ray's log files (`log_to_driver=False`): forwarded, a
    raylet's warning about this machine's disk lands in whatever test is capturing stderr then."""
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    ray.init(num_cpus=4, include_dashboard=False, namespace="medsynth", logging_level="ERROR", log_to_driver=False)
    yield
    ray.shutdown()


def small_config(uri: str | Path, *overrides: str) -> GenerateConfig:
    """A fast config: 8 studies of 48^3 in shards of 2, two workers, into `uri`."""
    base = [
        "dataset.name=test",
        "dataset.n_studies=8",
        "dataset.shard_size=2",
        "generator.shape=[48,48,48]",
        "storage.chunk=[32,32,32]",
        f"storage.uri={uri}",
        "ray.num_workers=2",
    ]
    return config_module.load([DEFAULTS], [*base, *overrides])


def build_in_process(cfg: GenerateConfig, shards: list[int] | None = None) -> None:
    """Make (some) shards of `cfg` without Ray: the same worker code the actors run."""
    from pipeline.run.worker import ShardWorker
    from pipeline.store import dataset_json as dataset
    from pipeline.store.layout import shard_task

    worker = ShardWorker(cfg, "test")
    existing = dataset.prepare(worker.store, cfg, worker.generator)
    for shard in shards if shards is not None else range(cfg.dataset.n_shards):
        worker.run(shard_task(shard, cfg.dataset.shard_size, cfg.dataset.n_studies))
    if shards is None:  # every shard made: what the runner records at the end
        dataset.mark(worker.store, existing, "complete")
    worker.close()


@pytest.fixture(scope="session")
def built_dataset(tmp_path_factory) -> GenerateConfig:
    """A small dataset made once per session, for read-only tests (catalog, query)."""
    cfg = small_config(tmp_path_factory.mktemp("built") / "ds", "dataset.n_studies=10", "dataset.shard_size=4")
    build_in_process(cfg)
    return cfg


SERIES = ("non_contrast", "arterial", "portal_venous", "delayed")


@pytest.fixture(scope="session")
def series_dataset(tmp_path_factory) -> GenerateConfig:
    """Four abdominal phantom_ct studies of four phases each, every one with a hepatic tumour, in
    32^3 chunks (a patch of one series overlaps a few of its own 8 chunks)."""
    cfg = small_config(
        tmp_path_factory.mktemp("series") / "ds",
        "dataset.n_studies=4",
        "generator.shape=[48,64,64]",
        f"generator.series=[{','.join(SERIES)}]",
        "generator.params.body_region=abdomen",
        "generator.params.lesion_rate=1",
        "generator.params.lesion_kinds=[hepatic_tumor]",
        "generator.params.lesion_size_mm=[20,30]",
    )
    build_in_process(cfg)
    return cfg


@pytest.fixture(scope="session")
def body_mr_dataset(tmp_path_factory) -> GenerateConfig:
    """Four small body_mr studies, one per sequence family with its DICOM attributes (spin echo,
    gradient echo with fat saturation and gadolinium, inversion recovery, opposed phase)."""
    cfg = small_config(
        tmp_path_factory.mktemp("body-mr") / "ds",
        "generator.name=body_mr",
        "dataset.n_studies=4",
        "dataset.shard_size=4",
        "generator.shape=[32,48,48]",
        "generator.params.body_region=abdomen",
        "generator.params.sequence=[T2w,T1w_fs_gd,STIR,opposed_phase]",
        "dataset.seed=21",  # a seed whose four studies draw the four sequences
    )
    build_in_process(cfg)
    return cfg


@pytest.fixture(scope="session")
def brain_dataset(tmp_path_factory) -> GenerateConfig:
    """Three small brain MR studies (the default field of view at 4 mm), made once per session."""
    cfg = small_config(
        tmp_path_factory.mktemp("brain") / "ds",
        "generator.name=brain_mr",
        "dataset.n_studies=3",
        "dataset.shard_size=3",
        "generator.shape=[44,52,44]",
        "generator.params.contrast=T1",
    )
    build_in_process(cfg)
    return cfg
