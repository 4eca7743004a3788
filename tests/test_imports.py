"""No import cycles among the project's modules (issue 29): every module of pipeline/, models/, jobs/
and infra/ can be read knowing only what it imports, type-checking imports included; and the
factory holds no generator internals (DESIGN.md): pipeline/ reaches a generator through
`models.registry` and the interface types, never through a generator's own package."""

import ast
from pathlib import Path

from tests.conftest import PACKAGES, REPO


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `name` imports: `from a import b` is a.b when that is a module, else a."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            subs = [f"{base}.{alias.name}" for alias in node.names]
            targets = [s for s in subs if s in known] or [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_module_is_in_an_import_cycle():
    known = modules()
    graph = {name: imports(name, path, known) for name, path in known.items()}
    assert cycles(graph) == []


# A generator's own packages (and the MR physics two of them share): no module of pipeline/ imports them.
GENERATOR_INTERNALS = ("models.phantom_ct", "models.body_mr", "models.brain_mr", "models.maisi_ct", "models.mr")


def test_the_factory_imports_no_generator_internals():
    known = modules()
    found = sorted(
        f"{name} imports {target}"
        for name, path in known.items()
        if name.startswith("pipeline")
        for target in imports(name, path, known)
        if target.startswith(GENERATOR_INTERNALS)
    )
    assert found == []


def test_the_cycle_finder_sees_a_cycle_through_a_type_checking_import(tmp_path):
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    probe = tmp_path / "columns.py"
    probe.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pipeline.manifest import Filling\n")
    known = {"pipeline.manifest": Path("manifest.py"), "pipeline.columns": probe, "pipeline": Path("__init__.py")}
    assert imports("pipeline.columns", probe, known) == {"pipeline.manifest"}
    (tmp_path / "stream.py").write_text("from pipeline import columns, missing\n")  # a module, and a name
    assert imports("pipeline.stream", tmp_path / "stream.py", known) == {"pipeline.columns"}


# What reaches storage (DESIGN.md: models touch no storage): a generator reads a user's label maps
# through the folder the factory opens for it (`models.folder`, `pipeline.store.folder`).
STORAGE = ("fsspec", "s3fs", "zarr", "boto3", "botocore", "pipeline")


def test_models_touch_no_storage():
    found = []
    for path in (REPO / "models").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            found += [f"{path.relative_to(REPO)} imports {n}" for n in names if n.split(".")[0] in STORAGE]
    assert found == []
