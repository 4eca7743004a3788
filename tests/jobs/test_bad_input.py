"""Bad input, table-driven: one clear line on stderr, exit 2 (1 for verify findings), and nothing
written. The jobs run in-process here (same `main` and exit-code mapping as the CLI; the CLI
process itself is covered in test_generate.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import s3fs

from jobs import export, generate, query, report, verify
from jobs.cli import run
from tests.conftest import small_config

MAISI = ("generator.name=maisi_ct", "generator.shape=[32,256,256]", "generator.params.network=tiny")
SMALL = ["dataset.n_studies=4", "dataset.shard_size=2", "generator.shape=[32,32,32]", "ray.num_workers=1"]


@dataclass(frozen=True)
class Case:
    name: str
    job: str  # generate | query | verify | export | report
    args: Callable[[dict], list[str]]  # built from the fixtures in `ctx`
    expect: str  # text the single error line must contain
    code: int = 2
    setup: str = ""  # what to prepare first: "", "dataset", "truncated_part", "corrupt_chunk", ...
    env_drop: tuple[str, ...] = field(default=())


def gen(*overrides: str) -> Callable[[dict], list[str]]:
    return lambda ctx: [*SMALL, f"storage.uri={ctx['root']}", *overrides, "--no-progress"]


def on_s3(*overrides: str) -> Callable[[dict], list[str]]:
    return lambda ctx: [*SMALL, f"storage.options.endpoint_url={ctx['endpoint']}", *overrides, "--no-progress"]


CASES = [
    Case("n_studies zero", "generate", gen("dataset.n_studies=0"), "dataset.n_studies: must be between 1"),
    Case("n_studies negative", "generate", gen("dataset.n_studies=-1"), "dataset.n_studies"),
    Case("n_studies not a number", "generate", gen("dataset.n_studies=abc"), "dataset.n_studies"),
    Case("shard_size zero", "generate", gen("dataset.shard_size=0"), "dataset.shard_size"),
    Case("unknown generator", "generate", gen("generator.name=nope"), "generator.name: unknown generator 'nope'"),
    Case("unknown config key", "generate", gen("dataset.colour=red"), "dataset.colour: unknown key"),
    Case("unknown generator param", "generate", gen("generator.params.colour=red"), "generator.params.colour"),
    Case("shape it cannot make", "generate", gen("generator.shape=[8,8,8]"), "generator.shape: phantom_ct makes"),
    Case("bad spacing", "generate", gen("generator.spacing_mm=[0,1,1]"), "generator.spacing_mm"),
    Case("unknown codec", "generate", gen("storage.codec=lzma"), "storage.codec"),
    Case("level too high", "generate", gen("storage.level=30"), "storage.level"),
    Case("malformed override", "generate", gen("dataset.n_studies"), "key=value"),
    Case("missing --config", "generate", lambda ctx: ["--config", "/no/such.yaml"], "--config: no such file"),
    Case("malformed URI", "generate", on_s3("storage.uri=s3://"), "storage.uri: s3:// names no bucket"),
    Case("unknown scheme", "generate", gen("storage.uri=nosuch://bucket/x"), "storage.uri: unknown scheme 'nosuch'"),
    Case("URI with credentials", "generate", on_s3("storage.uri=s3://AKIA:pw@bkt/x"), "carries credentials"),
    Case("missing bucket", "generate", on_s3("storage.uri=s3://no-such-bucket/ds"), "its bucket does not exist"),
    Case(
        "missing credentials",
        "generate",
        on_s3("storage.uri=s3://medsynth-test/ds"),
        "storage.uri: no credentials",
        env_drop=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    ),
    Case(
        "unwritable folder", "generate", lambda ctx: [*gen()(ctx)[:-2], f"storage.uri={ctx['blocked']}"], "not writable"
    ),
    Case("another config, same root", "generate", gen("dataset.seed=5"), "different config", setup="dataset"),
    Case("corrupt dataset.json", "generate", gen(), "dataset.json is corrupt", setup="corrupt_json"),
    Case("query syntax error", "query", lambda ctx: [ctx["root"], "liver_ml > AND 1"], "syntax error", setup="dataset"),
    Case("query unknown column", "query", lambda ctx: [ctx["root"], "spleen_l > 1"], "unknown column", setup="dataset"),
    Case(
        "query two statements", "query", lambda ctx: [ctx["root"], "1=1; SELECT 2"], "one expression", setup="dataset"
    ),
    Case("query, no dataset", "query", lambda ctx: [ctx["root"]], "no medsynth dataset"),
    Case("truncated part", "query", lambda ctx: [ctx["root"]], "catalog part cannot be read", setup="truncated_part"),
    Case("verify, truncated part", "verify", lambda ctx: [ctx["root"]], "cannot be read", setup="truncated_part"),
    Case("corrupted chunk bytes", "verify", lambda ctx: [ctx["root"]], "s000000001", code=1, setup="corrupt_chunk"),
    Case("maisi size", "generate", gen(*MAISI, "generator.shape=[48,256,256]"), "generator.shape: maisi_ct needs z"),
    Case(
        "maisi weights folder missing",
        "generate",
        gen(*MAISI, "generator.params.weights_dir=/no/such/weights"),
        "generator.params.weights_dir: /no/such/weights is not a folder",
    ),
    Case(
        "maisi weights file wrong",
        "generate",
        lambda ctx: gen(*MAISI, f"generator.params.weights_dir={ctx['weights']}")(ctx),
        "autoencoder_v1.pt is not a checkpoint",
        setup="bad_weights",
    ),
    Case(
        "export bad where",
        "export",
        lambda ctx: [*out(ctx, "nifti"), "--where", "liver_ml >"],
        "syntax error",
        setup="dataset",
    ),
    Case(
        "export unknown column",
        "export",
        lambda ctx: [*out(ctx, "dicom"), "--where", "livr_ml > 1"],
        "livr_ml",
        setup="dataset",
    ),
    Case(
        "export bad format",
        "export",
        lambda ctx: out(ctx, "png"),
        "--format: must be one of nifti, dicom",
        setup="dataset",
    ),
    Case(
        "export unwritable out",
        "export",
        lambda ctx: [ctx["root"], "--format", "nifti", "--out", ctx["blocked"]],
        "--out: cannot write",
        setup="dataset",
    ),
    Case(
        "export bad segmentation",
        "export",
        lambda ctx: [*out(ctx, "dicom"), "--segmentation", "fractional"],
        "--segmentation: must be one of binary, labelmap",
        setup="dataset",
    ),
    Case(
        "export bad compression",
        "export",
        lambda ctx: [*out(ctx, "dicom"), "--compression", "zip"],
        "--compression: must be one of none, jpeg-ls",
        setup="dataset",
    ),
    Case("export, no dataset", "export", lambda ctx: out(ctx, "nifti"), "no medsynth dataset"),
    Case(
        "report bad where",
        "report",
        lambda ctx: [ctx["root"], "--out", ctx["html"], "--where", "1 +"],
        "syntax error",
        setup="dataset",
    ),
    Case(
        "report matches nothing",
        "report",
        lambda ctx: [ctx["root"], "--out", ctx["html"], "--where", "index < 0"],
        "no committed studies",
        setup="dataset",
    ),
    Case(
        "report unwritable out",
        "report",
        lambda ctx: [ctx["root"], "--out", ctx["blocked"] + "/r.html"],
        "--out: cannot write",
        setup="dataset",
    ),
]


def out(ctx: dict, fmt: str) -> list[str]:
    return [ctx["root"], "--format", fmt, "--out", ctx["out"]]


def prepare(setup: str, root: Path, source: Path) -> None:
    if not setup:
        return
    if setup == "bad_weights":
        folder = root.parent / "weights"
        folder.mkdir()
        for name in ("autoencoder_v1.pt", "diff_unet_3d_rflow-ct.pt", "controlnet_3d_rflow-ct.pt"):
            (folder / name).write_bytes(b"this is no checkpoint")
        return
    shutil.copytree(source, root)
    if setup == "corrupt_json":
        (root / "dataset.json").write_text('{"name": "half a reco')
    elif setup == "truncated_part":
        part = root / "catalog" / "part-000000.parquet"
        part.write_bytes(part.read_bytes()[:200])
    elif setup == "corrupt_chunk":
        shard = root / "studies" / "000000" / "s000000001.zarr" / "0" / "c" / "0" / "0" / "0"
        data = bytearray(shard.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
        shard.write_bytes(bytes(data))


def snapshot(root: Path, fs: s3fs.S3FileSystem) -> tuple:
    local = sorted((str(p), p.stat().st_mtime_ns) for p in root.rglob("*")) if root.exists() else None
    return local, sorted(fs.find("medsynth-test", refresh=True))


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    from tests.conftest import build_in_process

    cfg = small_config(tmp_path_factory.mktemp("source") / "ds", *SMALL)
    build_in_process(cfg)
    return Path(cfg.storage.uri)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path, s3, source, capsys, monkeypatch):
    root = tmp_path / "ds"
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    prepare(case.setup, root, source)
    for name in case.env_drop:
        monkeypatch.delenv(name)
    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem(endpoint_url=s3.endpoint, key="k", secret="s")
    ctx = {
        "root": str(root),
        "endpoint": s3.endpoint,
        "blocked": str(blocked / "ds"),
        "weights": tmp_path / "weights",
        "out": str(tmp_path / "export"),
        "html": str(tmp_path / "reports" / "r.html"),
    }
    before = snapshot(root, fs)

    jobs = {"generate": generate, "query": query, "verify": verify, "export": export, "report": report}
    main = jobs[case.job].main
    code = run(main, case.args(ctx))

    captured = capsys.readouterr()
    assert code == case.code, captured.err
    if case.code == 2:
        lines = [line for line in captured.err.splitlines() if line.strip()]
        assert len(lines) == 1, captured.err
        assert lines[0].startswith("error: ") and case.expect in lines[0], lines[0]
    else:
        assert case.expect in captured.out
    assert snapshot(root, fs) == before, "bad input must not write anything"
    assert blocked.read_text() == "x"
    assert not (tmp_path / "export").exists() and not (tmp_path / "reports").exists()
