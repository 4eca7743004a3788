"""The tests mirror the code: every module of pipeline/, models/, jobs/ and infra/ has a test file of
its own at the same place under tests/ (`jobs/bench/__main__.py`: `tests/jobs/bench/test_main.py`)."""

from pathlib import Path

from tests.conftest import PACKAGES, REPO


def mirror_of(module: Path) -> Path:
    name = "main" if module.stem == "__main__" else module.stem
    return REPO / "tests" / module.parent.relative_to(REPO) / f"test_{name}.py"


def test_every_module_has_its_test_file():
    modules = [p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py")) if p.name != "__init__.py"]
    assert len(modules) > 100
    missing = [str(m.relative_to(REPO)) for m in modules if not mirror_of(m).is_file()]
    assert missing == []
