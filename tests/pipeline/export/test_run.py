"""An export is checked in full before its first file, writes into a folder that holds one dataset
in one format, and leaves nothing half-written behind when a study fails midway."""

import shutil

import pytest

from pipeline import catalog
from pipeline.errors import ConfigError, StorageError
from pipeline.export import export


def test_an_export_folder_holds_one_dataset_in_one_format(built_dataset, tmp_path):
    """Exporting again refreshes the folder; another format (or another dataset's files) is refused."""
    cat = catalog.open(built_dataset.storage.uri)
    export(cat, "nifti", tmp_path / "out", where="index < 2", progress=False)
    again = export(cat, "nifti", tmp_path / "out", where="index = 2", progress=False)
    assert again.studies == 1 and len(list((tmp_path / "out" / "images").iterdir())) == 3
    with pytest.raises(ConfigError, match="already holds other files"):
        export(cat, "dicom", tmp_path / "out", where="index = 2", progress=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".medsynth-export.json",
        "datalist.json",
        "images",
        "labels",
        "labels.json",
    ]


def test_bad_input_is_refused_before_the_folder_is_made(built_dataset, tmp_path):
    cat = catalog.open(built_dataset.storage.uri)
    with pytest.raises(ConfigError, match=r"^--format: must be one of"):
        export(cat, "png", tmp_path / "a", progress=False)
    with pytest.raises(ConfigError, match=r"^--where: selects no studies"):
        export(cat, "nifti", tmp_path / "b", where="index > 1000", progress=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        export(cat, "nifti", tmp_path / "file", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_study_that_fails_midway_leaves_nothing_of_this_run(built_dataset, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(built_dataset.storage.uri, root)
    cat = catalog.open(str(root))
    broken = cat.query("index = 2", columns=["image_path"]).to_pylist()[0]["image_path"]
    shutil.rmtree(root / broken.removesuffix("/0") / "labels")  # the third study cannot be read
    with pytest.raises(StorageError, match="cannot read"):
        export(cat, "nifti", tmp_path / "new", where="index < 4", progress=False)
    assert not (tmp_path / "new").exists()  # a folder it made is removed
    (tmp_path / "empty").mkdir()
    with pytest.raises(StorageError):
        export(cat, "nifti", tmp_path / "empty", where="index < 4", progress=False)
    assert list((tmp_path / "empty").iterdir()) == []  # an empty one emptied again
    export(cat, "nifti", tmp_path / "earlier", where="index < 2", progress=False)
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "earlier").rglob("*"))
    with pytest.raises(StorageError):
        export(cat, "nifti", tmp_path / "earlier", where="index >= 1 AND index < 4", progress=False)
    after = sorted(p.relative_to(tmp_path) for p in (tmp_path / "earlier").rglob("*"))
    assert set(after) <= set(before)  # an earlier export loses only what this run wrote
