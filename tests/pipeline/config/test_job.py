import json
import pickle
from dataclasses import replace

import pytest
import yaml

from pipeline.config import job as config_module
from pipeline.config.job import GenerateConfig, content_hash, load, to_dict
from pipeline.errors import ConfigError
from tests.conftest import DEFAULTS


def test_yaml_defaults_equal_the_dataclass_defaults():
    assert load([DEFAULTS]) == GenerateConfig()


def test_every_documented_key_exists():
    data = to_dict(GenerateConfig())
    keys = {f"{section}.{key}" for section, values in data.items() for key in values}
    required = {
        "dataset.name",
        "dataset.n_studies",
        "dataset.seed",
        "dataset.shard_size",
        "generator.name",
        "generator.shape",
        "generator.spacing_mm",
        "generator.params",
        "storage.uri",
        "storage.options",
        "storage.chunk",
        "storage.codec",
        "ray.address",
        "ray.num_workers",
        "ray.cpus_per_worker",
        "ray.gpus_per_worker",
        "ray.max_in_flight",
    }
    assert required <= keys


def test_overrides_and_files_merge_in_order(tmp_path):
    extra = tmp_path / "c.yaml"
    extra.write_text(yaml.safe_dump({"dataset": {"n_studies": 50, "seed": 9}}))
    cfg = load([DEFAULTS, extra], ["dataset.n_studies=64", "generator.shape=[32,48,48]", "generator.params.sex=F"])
    assert cfg.dataset.n_studies == 64 and cfg.dataset.seed == 9
    assert cfg.generator.shape == (32, 48, 48)
    assert cfg.generator.params == {"sex": "F"}
    assert cfg.dataset.n_shards == 8


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("dataset.n_studies=0", "dataset.n_studies"),
        ("dataset.n_studies=-1", "dataset.n_studies"),
        ("dataset.n_studies=abc", "dataset.n_studies"),
        ("dataset.shard_size=0", "dataset.shard_size"),
        ("dataset.seed=-3", "dataset.seed"),
        ("dataset.name=a/b", "dataset.name"),
        ("dataset.colour=red", "dataset.colour"),
        ("nosuch.key=1", "nosuch"),
        ("generator.shape=[1,2]", "generator.shape"),
        ("generator.spacing_mm=[1,0,1]", "generator.spacing_mm"),
        ("storage.codec=lzma", "storage.codec"),
        ("storage.chunk=[0,64,64]", "storage.chunk"),
        ("storage.level=99", "storage.level"),
        ("ray.cpus_per_worker=0", "ray.cpus_per_worker"),
        ("ray.num_workers=0", "ray.num_workers"),
        ("ray.max_in_flight=0", "ray.max_in_flight"),
    ],
)
def test_bad_values_name_the_dotted_key(override, key):
    with pytest.raises(ConfigError) as info:
        load([DEFAULTS], [override])
    assert str(info.value).startswith(f"{key}")
    assert "\n" not in str(info.value)


def test_malformed_override_and_missing_file():
    with pytest.raises(ConfigError, match=r"key=value"):
        load([DEFAULTS], ["dataset.n_studies"])
    with pytest.raises(ConfigError, match=r"no such file"):
        load(["/nonexistent.yaml"])


def test_hash_ignores_execution_settings_only():
    base = GenerateConfig()
    same = replace(base, ray=replace(base.ray, num_workers=7), storage=replace(base.storage, uri="s3://b/x"))
    other = replace(base, dataset=replace(base.dataset, seed=1))
    assert content_hash(base, "1") == content_hash(same, "1")
    assert content_hash(base, "1") != content_hash(other, "1")
    assert content_hash(base, "1") != content_hash(base, "2")


def test_only_allow_listed_storage_options_are_recorded():
    options = {
        "key": "AKIA",
        "secret": "s3cr3t-top",
        "endpoint_url": "http://user:pw-in-url@x:9000",
        "client_kwargs": {"aws_secret_access_key": "s3cr3t-nested", "region_name": "eu"},
        "config_kwargs": {"s3": {"session_token": "s3cr3t-deep"}},
    }
    cfg = replace(GenerateConfig(), storage=replace(GenerateConfig().storage, options=options))
    recorded = to_dict(cfg)
    assert recorded["storage"]["options"] == {"endpoint_url": "http://x:9000"}
    assert "s3cr3t" not in json.dumps(recorded) and "pw-in-url" not in json.dumps(recorded)


def test_secrets_are_redacted_by_key_name_at_any_depth():
    data = {"a": {"b": [{"aws_secret_access_key": "x", "fine": 1}], "api_token": "y"}, "password": "z"}
    assert config_module.redact(data) == {
        "a": {"b": [{"aws_secret_access_key": "***", "fine": 1}], "api_token": "***"},
        "password": "***",
    }


def test_interpolations_are_refused_unless_asked_for_and_never_echo_a_secret(monkeypatch):
    monkeypatch.setenv("MEDSYNTH_TEST_SECRET", "do-not-print-me")
    with pytest.raises(ConfigError, match=r"dataset.name: interpolations .* are not resolved") as refused:
        load([DEFAULTS], ["dataset.name=${oc.env:MEDSYNTH_TEST_SECRET}"])
    assert "do-not-print-me" not in str(refused.value)
    with pytest.raises(ConfigError, match=r"generator\.params\.body_region: interpolations"):
        load([DEFAULTS], ["generator.params.body_region=${oc.env:MEDSYNTH_TEST_SECRET}"])
    with pytest.raises(ConfigError, match=r"dataset\.seed: invalid value") as bad:
        load([DEFAULTS], ["dataset.seed=${oc.env:MEDSYNTH_TEST_SECRET}"], resolve_interpolations=True)
    assert "do-not-print-me" not in str(bad.value)
    monkeypatch.setenv("MEDSYNTH_TEST_NAME", "from-env")
    asked = load([DEFAULTS], ["dataset.name=${oc.env:MEDSYNTH_TEST_NAME}"], resolve_interpolations=True)
    assert asked.dataset.name == "from-env"


def test_a_file_that_is_no_config_is_named_not_echoed(tmp_path):
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    with pytest.raises(ConfigError) as refused:
        load([DEFAULTS, passwd])
    assert (
        str(refused.value)
        == f"--config: {passwd} is not a medsynth config (a YAML mapping of dataset, generator, storage, ray)"
    )


def test_config_pickles():
    cfg = load([DEFAULTS], ["generator.params.body_region=[chest,abdomen]"])
    assert pickle.loads(pickle.dumps(cfg)) == cfg
