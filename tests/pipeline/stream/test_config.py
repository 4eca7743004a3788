"""StreamConfig on its own: the defaults hold, and every rule names its field."""

import pytest

from pipeline.errors import ConfigError
from pipeline.stream.config import StreamConfig


def test_defaults_and_a_full_config_hold():
    assert StreamConfig().patch_size is None and StreamConfig().normalize == "auto"
    config = StreamConfig(
        where=("sex = 'F'", "age > 40"),
        patch_size=(32, 64, 64),
        patches_per_study=8,
        sampling="balanced",
        pos_fraction=1.0,
        pos_labels=("liver",),
        classes=("liver", "spleen"),
        series=("arterial", "delayed"),
        rank=1,
        world_size=2,
    )
    assert config.patch_size == (32, 64, 64) and config.world_size == 2


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"where": 3.5}, "where: must be a string of SQL"),
        ({"patch_size": (32, 0, 32)}, "patch_size: must be 3 positive sizes"),
        ({"patch_size": (32, 32, 10**6)}, "patch_size: at most"),
        ({"patch_size": (32, 32, 32), "patches_per_study": 10_001}, "patches_per_study: must be between"),
        ({"patches_per_study": 2}, "patches_per_study: whole volumes"),
        ({"sampling": "stratified"}, "sampling: must be one of"),
        ({"sampling": "balanced"}, "sampling: 'balanced' needs a patch_size"),
        ({"pos_fraction": 1.5}, r"pos_fraction: must be within \[0, 1\]"),
        ({"pos_fraction": float("nan")}, "pos_fraction: must be a finite number"),
        ({"normalize": "minmax"}, "normalize: must be one of"),
        ({"window": (100.0, -100.0)}, "window: must be"),
        ({"series": "first"}, "series: must be a tuple of series names, 'random' or None"),
        ({"series": ("a", "a")}, "series: must be distinct"),
        ({"classes": ()}, "classes: must be distinct label names"),
        ({"pos_labels": ("liver", "liver")}, "pos_labels: must be distinct label names"),
        ({"epoch": -1}, "seed, epoch: must not be negative"),
        ({"seed": 2**63}, "seed, epoch: must not be negative"),
        ({"shuffle_buffer": 0}, "shuffle_buffer: must be between"),
        ({"cache_limit_gb": 0}, "cache_limit_gb: must be positive"),
        ({"read_ahead": -1}, "read_ahead: must be between 0 and 64"),
        ({"read_ahead": 65}, "read_ahead: must be between 0 and 64"),
        ({"world_size": 0}, "world_size: must be between"),
        ({"rank": 0}, "rank: set world_size too"),
        ({"rank": 2, "world_size": 2}, r"rank: must be within \[0, world_size=2\)"),
    ],
)
def test_every_rule_names_its_field(keywords, message):
    with pytest.raises(ConfigError, match=f"^{message}"):
        StreamConfig(**keywords)
