"""`python -m jobs.verify`: exit 0 on a sound dataset; 1 naming the study whose objects are damaged;
`--repair` re-renders exactly that study and verifies again."""

import shutil

from jobs import verify
from jobs.cli import run
from pipeline import catalog


def test_a_damaged_study_is_named_then_repaired(built_dataset, tmp_path, capsys):
    root = tmp_path / "ds"
    shutil.copytree(built_dataset.storage.uri, root)
    assert run(verify.main, [str(root)]) == 0
    capsys.readouterr()
    row = catalog.open(str(root)).query("index = 5", columns=["study_id", "image_path"]).to_pylist()[0]
    chunks = [p for p in (root / row["image_path"]).rglob("*") if p.is_file() and p.name != "zarr.json"]
    chunks[0].write_bytes(b"not a chunk")
    assert run(verify.main, [str(root)]) == verify.EXIT_FINDINGS
    said = capsys.readouterr().out
    assert row["study_id"] in said and "s000000004" not in said
    assert run(verify.main, [str(root), "--repair"]) == 0
    said = capsys.readouterr().out
    assert "repaired shards [1]" in said
    assert run(verify.main, [str(root)]) == 0
