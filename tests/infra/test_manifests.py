"""The deployment files say what medsynth can run: real modules, valid config keys, one generator
actor per GPU, the same image everywhere, and the versions pyproject.toml pins."""

import importlib.util
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from jobs.generate import DEFAULTS
from pipeline.config import job as config_module
from tests.conftest import REPO

INFRA = REPO / "infra"
MANIFESTS = sorted([*INFRA.glob("kuberay/*.yaml"), *INFRA.glob("ray/*.yaml")])
IMAGE = "ghcr.io/medsynth/medsynth:0.1.0"
# GPUs and vCPUs of the instance types the cluster launcher file may use.
INSTANCES = {"g5.12xlarge": (4, 48), "g5.xlarge": (1, 4), "p4d.24xlarge": (8, 96), "c6i.8xlarge": (0, 32)}


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def entrypoint(command: str) -> tuple[str, list[str], list[str]]:
    """`python -m MODULE key=value ... --flags` -> (module, overrides, flags)."""
    words = shlex.split(command)
    assert words[:2] == ["python", "-m"], command
    return (
        words[2],
        [w for w in words[3:] if "=" in w and not w.startswith("-")],
        [w for w in words[3:] if w.startswith("-")],
    )


def commands_in(path: Path) -> list[str]:
    """Every `python -m jobs...` command in a file: RayJob entrypoints and the documented ones."""
    found = [d["spec"]["entrypoint"] for d in documents(path) if d.get("kind") == "RayJob"]
    comments = [
        line.split("#", 1)[1].strip() for line in path.read_text().splitlines() if line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\n", " ", "\n".join(comments))  # shell line continuations
    found += [m.group(0) for m in re.finditer(r"python -m jobs\.\S+[^\n]*", joined)]
    return found


def gpus(limits: dict) -> int:
    return int(limits.get("nvidia.com/gpu", 0))


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.name for p in MANIFESTS])
def test_every_manifest_parses_and_uses_the_image(path):
    docs = documents(path)
    assert docs
    images = set(re.findall(r"image: (\S+)", path.read_text()))
    assert images == {IMAGE}, images


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.name for p in MANIFESTS])
def test_every_command_names_a_real_module_and_valid_config_keys(path):
    commands = commands_in(path)
    assert commands, f"{path.name} documents no jobs command"
    for command in commands:
        module, overrides, flags = entrypoint(command)
        assert importlib.util.find_spec(module) is not None, module
        config = config_module.load([DEFAULTS], overrides)  # raises, naming the key, on anything invalid
        assert config.ray.address == "auto", "a job on a cluster must join it"
        assert set(flags) <= {"--no-progress"}


def cluster_spec(doc: dict) -> dict:
    return doc["spec"]["rayClusterSpec"] if doc["kind"] == "RayJob" else doc["spec"]


def kuberay_groups(doc: dict) -> tuple[dict, list[dict]]:
    spec = cluster_spec(doc)
    return spec["headGroupSpec"], spec["workerGroupSpecs"]


@pytest.mark.parametrize("path", sorted(INFRA.glob("kuberay/*.yaml")), ids=lambda p: p.name)
def test_kuberay_gpus_requested_limited_and_given_to_ray_agree(path):
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = next(d for d in dependencies if d.startswith("ray[")).split("==")[1].rstrip(".*")
    for doc in documents(path):
        head, workers = kuberay_groups(doc)
        assert cluster_spec(doc)["rayVersion"].startswith(pinned)  # the image's Ray is pyproject's
        assert head["rayStartParams"]["num-cpus"] == "0"  # no generator actor on the head
        for group in workers:
            container = group["template"]["spec"]["containers"][0]
            requests, limits = container["resources"]["requests"], container["resources"]["limits"]
            assert gpus(requests) == gpus(limits) == int(group["rayStartParams"].get("num-gpus", 0))
            assert int(requests["cpu"]) == int(limits["cpu"]) == int(group["rayStartParams"]["num-cpus"])
            assert group["minReplicas"] <= group["replicas"] <= group["maxReplicas"]
            assert any(e.get("secretRef") for e in container.get("envFrom", [])), "storage credentials from a secret"


def test_the_rayjob_places_one_actor_per_gpu_on_what_it_asks_for():
    (doc,) = documents(INFRA / "kuberay" / "rayjob.yaml")
    assert doc["spec"]["shutdownAfterJobFinishes"] is True
    _, overrides, _ = entrypoint(doc["spec"]["entrypoint"])
    ray = config_module.load([DEFAULTS], overrides).ray
    _, (group,) = kuberay_groups(doc)
    node_gpus, node_cpus = int(group["rayStartParams"]["num-gpus"]), int(group["rayStartParams"]["num-cpus"])
    assert ray.gpus_per_worker == 1.0  # one generator actor per GPU
    per_node = int(node_gpus // ray.gpus_per_worker)
    assert ray.cpus_per_worker * per_node <= node_cpus  # each actor's CPUs fit beside the others
    assert ray.num_workers == per_node * group["replicas"]  # every GPU used, none asked for twice


def test_the_cluster_launcher_node_types_match_their_instances():
    (doc,) = documents(INFRA / "ray" / "cluster-aws.yaml")
    types = doc["available_node_types"]
    assert types[doc["head_node_type"]]["resources"]["CPU"] == 0
    assert sum(t.get("max_workers", 0) for t in types.values()) <= doc["max_workers"]
    for name, node in types.items():
        instance = node["node_config"]["InstanceType"]
        if name == doc["head_node_type"]:
            continue
        gpu, vcpu = INSTANCES[instance]
        assert node["resources"].get("GPU", 0) == gpu and node["resources"]["CPU"] <= vcpu, name
        if gpu:
            assert "--gpus all" in node["docker"]["worker_run_options"]
    _, overrides, _ = entrypoint(commands_in(INFRA / "ray" / "cluster-aws.yaml")[0])
    ray = config_module.load([DEFAULTS], overrides).ray
    gpu_node = types["gpu"]["resources"]
    per_node = int(gpu_node["GPU"] // ray.gpus_per_worker)
    assert ray.cpus_per_worker * per_node <= gpu_node["CPU"]
    assert ray.num_workers <= per_node * types["gpu"]["max_workers"]


def test_the_image_installs_what_pyproject_pins():
    text = (INFRA / "docker" / "Dockerfile").read_text()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    torch_pin = next(d for d in project["dependencies"] if d.startswith("torch=="))
    assert f"ARG TORCH_VERSION={torch_pin.split('==')[1]}" in text
    assert "python3.11" in text and project["requires-python"].startswith(">=3.11")
    for source in re.findall(r"^COPY (\S+) ", text, flags=re.MULTILINE):
        assert (REPO / source).exists(), source
