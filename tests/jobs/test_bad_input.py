"""Bad input, table-driven: one clear line on stderr, exit 2 (1 for verify findings), and nothing
written. The jobs run in-process here (same `main` and exit-code mapping as the CLI; the CLI
process itself is covered in test_generate.py)."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import s3fs

from jobs import compact, export, generate, plan, preview, query, report, train, verify, view
from jobs.cli import run
from tests.conftest import small_config
from tests.jobs.bad_input_cases import CASES, SMALL, Case
from tests.jobs.bad_input_hardening import HARDENING_CASES
from tests.jobs.bad_input_maisi import DECODE_CASES
from tests.jobs.bad_input_masks import MASK_CASES
from tests.jobs.bad_input_mr import MR_CASES
from tests.jobs.bad_input_series import SERIES_CASES

NO_ENDPOINT = "http://s3-endpoint.invalid"  # what a case's args hold before it is given the real one


def prepare(setup: str, root: Path, source: Path, other: Path) -> None:
    if not setup:
        return
    if setup == "bad_weights":
        folder = root.parent / "weights"
        folder.mkdir()
        for name in ("autoencoder_v1.pt", "diff_unet_3d_rflow-ct.pt", "controlnet_3d_rflow-ct.pt"):
            (folder / name).write_bytes(b"this is no checkpoint")
        return
    if setup.startswith("masks_"):
        make_masks(setup.removeprefix("masks_"), root.parent / "masks")
        return
    shutil.copytree(source, root)
    if setup.startswith("edited_json_"):  # issue 28: dataset.json edited into nonsense
        doc = json.loads((root / "dataset.json").read_text())
        what = setup.removeprefix("edited_json_")
        if what == "shard_size":
            doc["shard_size"] = 0
        elif what == "column_type":
            doc["columns"] = {**doc.get("columns", {}), "habitus": "complex128"}
        else:
            doc["labels"]["entries"][0]["name"] = "renamed thing"
        (root / "dataset.json").write_text(json.dumps(doc))
    elif setup == "other_out":  # a folder of someone else's files where --out points
        (root.parent / "other-export").mkdir()
        (root.parent / "other-export" / "notes.txt").write_text("mine")
    elif setup == "corrupt_json":
        (root / "dataset.json").write_text('{"name": "half a reco')
    elif setup == "truncated_part":
        part = root / "catalog" / "part-000000.parquet"
        part.write_bytes(part.read_bytes()[:200])
    elif setup == "no_json":  # dataset.json deleted, and one part with it
        (root / "dataset.json").unlink()
        (root / "catalog" / "part-000001.parquet").unlink()
    elif setup == "foreign_part":  # shard 1's part of a dataset made with another seed
        shutil.copy(other / "catalog" / "part-000001.parquet", root / "catalog" / "part-000001.parquet")
    elif setup == "renamed_part":  # this dataset's shard 0 part copied under shard 1's name
        shutil.copy(root / "catalog" / "part-000000.parquet", root / "catalog" / "part-000001.parquet")
    elif setup == "corrupt_chunk":
        shard = root / "studies" / "000000" / "s000000001.zarr" / "0" / "c" / "0" / "0" / "0"
        data = bytearray(shard.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
        shard.write_bytes(bytes(data))


def make_masks(kind: str, folder: Path) -> None:
    """A folder of masks with one thing wrong (`kind`), or nothing wrong ("ok")."""
    import gzip

    import nibabel as nib
    import numpy as np

    folder.mkdir()
    if kind == "empty":
        return
    label = np.zeros((24, 24, 24), dtype=np.uint8)
    label[4:20, 4:20, 4:20] = 1  # liver
    affine = np.diag([-2.0, -2.0, 2.0, 1.0])
    if kind == "4d":
        nib.save(nib.Nifti1Image(np.stack([label, label], axis=-1), affine), folder / "a.nii.gz")
    elif kind == "unreadable":
        (folder / "a.nii.gz").write_bytes(gzip.compress(b"no header here"))
    elif kind == "fraction":
        nib.save(nib.Nifti1Image(label.astype(np.float32) * 0.5, affine), folder / "a.nii.gz")
    elif kind == "unmapped":
        nib.save(nib.Nifti1Image(label * 250, affine), folder / "a.nii.gz")
    elif kind == "zeros":  # issue 28: used to make empty studies that passed QC
        nib.save(nib.Nifti1Image(np.zeros((1, 1, 1), np.uint8), affine), folder / "a.nii.gz")
    elif kind == "huge_voxels":  # issue 28: used to fail inside the shard, after dataset.json
        nib.save(nib.Nifti1Image(label, np.diag([-1e6, -1e6, 1e6, 1.0])), folder / "a.nii.gz")
    else:
        nib.save(nib.Nifti1Image(label, affine), folder / "a.nii.gz")


def snapshot(root: Path, fs: s3fs.S3FileSystem | None) -> tuple:
    local = sorted((str(p), p.stat().st_mtime_ns) for p in root.rglob("*")) if root.exists() else None
    return local, sorted(fs.find("medsynth-test", refresh=True)) if fs is not None else None


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    from tests.conftest import build_in_process

    cfg = small_config(tmp_path_factory.mktemp("source") / "ds", *SMALL)
    build_in_process(cfg)
    return Path(cfg.storage.uri)


@pytest.fixture(scope="module")
def other(tmp_path_factory) -> Path:
    """The same small dataset made with another seed: its parts belong elsewhere."""
    from tests.conftest import build_in_process

    cfg = small_config(tmp_path_factory.mktemp("other") / "ds", *SMALL, "dataset.seed=1")
    build_in_process(cfg)
    return Path(cfg.storage.uri)


@pytest.fixture(scope="module")
def silent() -> Iterator[str]:
    """An endpoint that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


@pytest.mark.parametrize(
    "case",
    [*CASES, *MASK_CASES, *MR_CASES, *SERIES_CASES, *DECODE_CASES, *HARDENING_CASES],
    ids=[c.name for c in [*CASES, *MASK_CASES, *MR_CASES, *SERIES_CASES, *DECODE_CASES, *HARDENING_CASES]],
)
def test_bad_input(case: Case, tmp_path, source, other, silent, ray_session, capsys, monkeypatch, request):
    root = tmp_path / "ds"
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n")
    prepare(case.setup, root, source, other)
    ctx = {
        "root": str(root),
        "endpoint": NO_ENDPOINT,
        "blocked": str(blocked / "ds"),
        "weights": tmp_path / "weights",
        "out": str(tmp_path / "export"),
        "other_out": str(tmp_path / "other-export"),
        "html": str(tmp_path / "reports" / "r.html"),
        "passwd": str(passwd),
        "silent": silent,
        "masks": str(tmp_path / "masks"),
    }
    # A case that names S3 gets the session's S3 API, emptied, and its bucket is watched too; the
    # others cannot reach S3 (the moto reset is most of a case's cost, so they skip it).
    fs = None
    if any("s3://" in arg or NO_ENDPOINT in arg for arg in case.args(ctx)):
        s3 = request.getfixturevalue("s3")
        s3fs.S3FileSystem.clear_instance_cache()
        fs = s3fs.S3FileSystem(endpoint_url=s3.endpoint, key="k", secret="s")
        ctx["endpoint"] = s3.endpoint
    for name in case.env_drop:  # after the S3 API's set-up, which needs the fake credentials
        monkeypatch.delenv(name)
    before = snapshot(root, fs)

    jobs = {
        "generate": generate,
        "query": query,
        "verify": verify,
        "export": export,
        "report": report,
        "compact": compact,
        "plan": plan,
        "preview": preview,
        "train": train,
        "view": view,
    }
    main = jobs[case.job].main
    code = run(main, case.args(ctx))

    captured = capsys.readouterr()
    assert code == case.code, captured.err
    for secret in case.forbid:
        assert secret not in captured.out + captured.err
    if case.code == 2:
        lines = [line for line in captured.err.splitlines() if line.strip()]
        assert len(lines) == 1, captured.err
        assert lines[0].startswith("error: ") and case.expect in lines[0], lines[0]
    else:
        assert case.expect in captured.out
    assert snapshot(root, fs) == before, "bad input must not write anything"
    assert blocked.read_text() == "x"
    assert not (tmp_path / "export").exists() and not (tmp_path / "reports").exists()
    if case.setup == "other_out":
        assert [p.name for p in (tmp_path / "other-export").iterdir()] == ["notes.txt"]
