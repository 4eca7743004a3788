import pickle
import shutil
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pyarrow.parquet as pq
import pytest

from pipeline import catalog
from pipeline.catalog.query import STOP_GRACE_S
from pipeline.errors import CatalogError


@pytest.fixture(scope="module")
def cat(built_dataset):
    return catalog.open(built_dataset.storage.uri)


def test_all_committed_rows_and_schema(cat):
    table = cat.query()
    assert table.num_rows == 10 == len(cat)
    assert table.column("study_id").to_pylist() == [f"s{i:09d}" for i in range(10)]
    for column in (
        "liver_ml",
        "spleen_ml",
        "right_kidney_ml",
        "vertebrae_l1_ml",
        "body_ml",
        "qc_pass",
        "checksum",
        "liver_hu",
        "aorta_hu",
        "qc_redraws",
        "habitus",
        "inspiration",
        "noise_hu",
        "lesion_count",
    ):
        assert column in table.column_names
    assert set(table.column("modality").to_pylist()) == {"CT"}
    rows = table.to_pylist()
    assert all(r["liver_hu"] is None or -200 < r["liver_hu"] < 300 for r in rows)
    assert all(0.0 <= r["habitus"] <= 1.0 and r["lesion_count"] == 0 for r in rows)


def test_where_columns_limit(cat):
    table = cat.query("body_region = 'abdomen' AND liver_ml > 0", columns=["study_id", "liver_ml"], limit=2)
    assert table.column_names == ["study_id", "liver_ml"]
    assert table.num_rows <= 2
    assert all(v > 0 for v in table.column("liver_ml").to_pylist())
    assert cat.count("index >= 5") == 5


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("nosuch > 1", "unknown column 'nosuch'"),
        ("liver_ml >", "syntax error"),
        ("1=1; DROP TABLE catalog", "one expression"),
        ("liver_ml > (SELECT count(*) FROM read_csv('/etc/passwd'))", "query:"),
    ],
)
def test_bad_queries_are_one_line_catalog_errors(cat, where, message):
    with pytest.raises(CatalogError, match=message) as info:
        cat.query(where)
    assert "\n" not in str(info.value)


def test_unknown_columns_are_refused(cat):
    with pytest.raises(CatalogError, match=r"--columns: unknown column 'nope'"):
        cat.query(columns=["study_id", "nope"])


def test_only_committed_parts_are_read(built_dataset, tmp_path):
    cat = catalog.open(built_dataset.storage.uri)
    # An upload in flight (temp name) is invisible to readers.
    tmp = cat.store.path("catalog/.part-000099.parquet.tmp-x")
    pq.write_table(cat.query(limit=1), tmp)
    try:
        assert len(cat) == 10
    finally:
        cat.store.fs.rm(tmp)


def test_truncated_part_is_a_catalog_error(built_dataset, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built_dataset.storage.uri, copy)
    part = copy / "catalog" / "part-000000.parquet"
    part.write_bytes(part.read_bytes()[:100])
    with pytest.raises(CatalogError, match=r"cannot be read|query:"):
        catalog.open(str(copy)).query()


def test_no_dataset(tmp_path):
    with pytest.raises(CatalogError, match=r"no medsynth dataset"):
        catalog.open(str(tmp_path))


def test_one_catalog_object_serves_threads_follows_new_parts_and_pickles(built_dataset, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built_dataset.storage.uri, copy)
    held = (copy / "catalog" / "part-000002.parquet").read_bytes()
    (copy / "catalog" / "part-000002.parquet").unlink()
    cat = catalog.open(str(copy))
    assert len(cat) == 8
    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(lambda i: cat.count(f"index >= {i % 3}"), range(16)))
    assert counts == [8 - (i % 3) for i in range(16)]
    (copy / "catalog" / "part-000002.parquet").write_bytes(held)  # committed meanwhile
    assert len(cat) == 10 and len(pickle.loads(pickle.dumps(cat))) == 10


def test_an_empty_dataset_has_the_schema_and_no_rows(built_dataset, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built_dataset.storage.uri, copy)
    for part in (copy / "catalog").glob("part-*.parquet"):
        part.unlink()
    cat = catalog.open(str(copy))
    assert len(cat) == 0 and cat.query().schema == cat.schema


# Light on memory, seconds of CPU a row, and no interrupt check inside (issue 28).
RUNAWAY = "len(list_filter(range(20000000), lambda x: x % 7 = 0)) > 0"


def test_a_runaway_query_stops_at_its_time_limit_and_the_catalog_still_answers(built_dataset):
    limited = catalog.open(built_dataset.storage.uri, timeout_s=0.2)
    started = time.monotonic()
    with pytest.raises(CatalogError, match=r"stopped after 0.2 s \(--timeout\)"):
        limited.query(RUNAWAY)
    assert time.monotonic() - started < 0.2 + STOP_GRACE_S + 1.0
    assert limited.count() == 10


def test_ctrl_c_stops_a_query_promptly(built_dataset):
    cat = catalog.open(built_dataset.storage.uri)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # a CLI's handler (Ray's driver swaps it)
    try:
        threading.Timer(0.3, lambda: signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)).start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            cat.query(RUNAWAY)
        assert time.monotonic() - started < 0.3 + STOP_GRACE_S + 1.0
    finally:
        signal.signal(signal.SIGINT, previous)
    assert cat.count() == 10


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "60", True])
def test_a_time_limit_must_be_seconds(built_dataset, timeout):
    with pytest.raises(CatalogError, match="--timeout: must be seconds"):
        catalog.open(built_dataset.storage.uri, timeout_s=timeout)
