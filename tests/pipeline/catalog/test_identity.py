"""One dataset root holds one config: the exclusive `dataset.json`, raced with a real delay between
the check and the write (local folders and the moto S3), and the identity every part carries."""

from __future__ import annotations

import json
import threading
import time

import pyarrow.parquet as pq
import pytest

from pipeline import catalog
from pipeline.catalog import identity
from pipeline.errors import CatalogError, ConfigError
from pipeline.run.worker import build_generator
from pipeline.store import dataset_json as dataset
from pipeline.store.layout import DATASET_FILE, part_path
from pipeline.store.storage import Store, open_store
from tests.conftest import build_in_process, small_config


def race(monkeypatch, uri: str, options: dict, seeds: tuple[int, int]) -> list[BaseException | None]:
    """Two drivers prepare one new root at once; `dataset.json`'s write is delayed past both checks."""
    commit = Store.commit

    def slow_commit(self, rel, data):
        if rel == DATASET_FILE:
            time.sleep(0.5)  # both drivers have found no dataset.json by now
        return commit(self, rel, data)

    monkeypatch.setattr(Store, "commit", slow_commit)
    outcomes: list[BaseException | None] = [None, None]

    def driver(i: int) -> None:
        cfg = small_config(uri, f"dataset.seed={seeds[i]}", *[f"storage.options.{k}={v}" for k, v in options.items()])
        store = open_store(cfg.storage.uri, cfg.storage.options)
        try:
            dataset.prepare(store, cfg, build_generator(cfg))
        except BaseException as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=driver, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.parametrize("where", ["local", "s3"])
def test_two_drivers_with_two_configs_one_wins_the_other_is_refused(where, tmp_path, s3, monkeypatch):
    uri, options = (str(tmp_path / "ds"), {}) if where == "local" else (s3.uri("race"), s3.options)
    outcomes = race(monkeypatch, uri, options, (0, 1))
    refused = [o for o in outcomes if o is not None]
    assert len(refused) == 1 and isinstance(refused[0], ConfigError), outcomes
    assert "different config" in str(refused[0]) and "dataset.seed" in str(refused[0])
    winner = outcomes.index(None)
    recorded = json.loads(open_store(uri, options).read_bytes(DATASET_FILE))
    assert recorded["config"]["dataset"]["seed"] == winner  # seeds were (0, 1)


@pytest.mark.parametrize("where", ["local", "s3"])
def test_two_drivers_with_one_config_both_join(where, tmp_path, s3, monkeypatch):
    uri, options = (str(tmp_path / "ds"), {}) if where == "local" else (s3.uri("join"), s3.options)
    assert race(monkeypatch, uri, options, (0, 0)) == [None, None]


@pytest.fixture
def made(tmp_path):
    cfg = small_config(tmp_path / "ds", "dataset.n_studies=4", "generator.shape=[32,32,32]")
    build_in_process(cfg)
    return cfg


def test_every_part_says_which_dataset_shard_and_studies_it_holds(made):
    cat = catalog.open(made.storage.uri)
    meta = pq.read_metadata(cat.store.path(part_path(1))).metadata
    found = identity.Identity.parse(meta)
    assert found == identity.Identity(cat.info.config_hash, "test", 1, 2, 4)


def test_a_root_whose_dataset_json_is_gone_is_refused(made):
    store = open_store(made.storage.uri)
    store.remove(DATASET_FILE)
    other = small_config(made.storage.uri, "dataset.n_studies=4", "generator.shape=[32,32,32]", "dataset.seed=1")
    with pytest.raises(ConfigError, match=r"no dataset\.json \(was it deleted\?\)"):
        dataset.prepare(store, other, build_generator(other))
    with pytest.raises(CatalogError, match=r"catalog parts but no dataset\.json"):
        catalog.open(made.storage.uri)


def test_a_part_renamed_to_another_shard_is_named_and_repair_never_grows_the_catalog(made):
    root = open_store(made.storage.uri)
    root.write_atomic(part_path(1), root.read_bytes(part_path(0)))  # shard 0's rows as shard 1
    with pytest.raises(CatalogError, match=r"part-000001\.parquet: is shard 0's part under the name of shard 1"):
        catalog.open(made.storage.uri).query()
    from pipeline.run.verify import verify

    report = verify(catalog.open(made.storage.uri))
    assert not report.ok and report.foreign_files[0][0] == part_path(1)
