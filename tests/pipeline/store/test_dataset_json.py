import json
from dataclasses import replace

import pytest

from pipeline.errors import CatalogError, ConfigError
from pipeline.run.worker import build_generator
from pipeline.store import dataset_json as dataset
from pipeline.store.storage import open_store
from tests.conftest import small_config


def setup(tmp_path, *overrides):
    cfg = small_config(tmp_path / "ds", *overrides)
    return cfg, build_generator(cfg), open_store(cfg.storage.uri)


def test_prepare_creates_then_accepts_the_same_config(tmp_path):
    cfg, gen, store = setup(tmp_path)
    first = dataset.prepare(store, cfg, gen)
    assert first["status"] == "running"
    info = dataset.read(store)
    assert info.labels == gen.label_dict
    assert info.generator == "phantom_ct" and info.n_studies == 8
    other_cluster = replace(cfg, ray=replace(cfg.ray, num_workers=5))
    assert dataset.prepare(store, other_cluster, gen)["config_hash"] == first["config_hash"]


def test_a_different_config_is_refused_naming_what_differs(tmp_path):
    cfg, gen, store = setup(tmp_path)
    dataset.prepare(store, cfg, gen)
    before = store.read_bytes("dataset.json")
    changed = replace(cfg, dataset=replace(cfg.dataset, n_studies=9))
    with pytest.raises(ConfigError, match=r"storage.uri: .* different config \(dataset.n_studies: 8 -> 9\)"):
        dataset.prepare(store, changed, gen)
    assert store.read_bytes("dataset.json") == before


def test_refuse_other_checks_the_root_and_writes_nothing(tmp_path):
    cfg, gen, store = setup(tmp_path)
    dataset.refuse_other(store, cfg, gen)  # an empty root: writable, nothing left of a deleted dataset
    assert not (tmp_path / "ds").exists() or not any((tmp_path / "ds").iterdir())
    dataset.prepare(store, cfg, gen)
    dataset.refuse_other(store, cfg, gen)  # the same config: accepted
    changed = replace(cfg, dataset=replace(cfg.dataset, n_studies=9))
    with pytest.raises(ConfigError, match="made with a different config"):
        dataset.refuse_other(store, changed, gen)
    (tmp_path / "ds" / "dataset.json").unlink()  # the rows stay behind: a deleted dataset's leftovers
    (tmp_path / "ds" / "catalog").mkdir(exist_ok=True)
    (tmp_path / "ds" / "catalog" / "part-000000.parquet").write_bytes(b"rows")
    with pytest.raises(ConfigError):
        dataset.refuse_other(store, cfg, gen)


def test_mark_complete(tmp_path):
    cfg, gen, store = setup(tmp_path)
    existing = dataset.prepare(store, cfg, gen)
    dataset.mark(store, existing, "complete")
    assert dataset.read(store).status == "complete"


@pytest.mark.parametrize("content", [b"{not json", b'{"name": "x"}', b"[]"])
def test_corrupt_dataset_json_is_a_catalog_error(tmp_path, content):
    _, _, store = setup(tmp_path)
    store.write_atomic("dataset.json", content)
    with pytest.raises(CatalogError, match=r"dataset.json is corrupt"):
        dataset.read(store)


def test_no_dataset_here(tmp_path):
    with pytest.raises(CatalogError, match=r"no medsynth dataset"):
        dataset.read(open_store(str(tmp_path)))


def test_secrets_never_reach_dataset_json(tmp_path):
    cfg, gen, store = setup(tmp_path, "storage.options.secret=TOPSECRET", "storage.options.key=AKIAXYZ")
    dataset.prepare(store, cfg, gen)
    text = store.read_bytes("dataset.json").decode()
    assert "TOPSECRET" not in text and "AKIAXYZ" not in text
    assert json.loads(text)["config"]["storage"]["options"] == {}  # not on the allow-list: not recorded
