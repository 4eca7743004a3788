"""A stored study read back for export: the arrays the store holds, checked against the catalog's
checksum first; a study of several series splits into one view per series with its own row."""

import shutil

import numpy as np
import pytest

from pipeline import catalog
from pipeline.errors import StorageError
from pipeline.export.volume import ROW_COLUMNS, read
from tests.pipeline.export import stored


def row_of(cat, index: int, *extra: str) -> dict:
    return cat.query(f"index = {index}", columns=[*ROW_COLUMNS, *extra]).to_pylist()[0]


def test_a_study_reads_back_as_stored_with_its_frame(built_dataset):
    cat = catalog.open(built_dataset.storage.uri)
    row = row_of(cat, 1)
    study = read(cat.store, row)
    image, label, spacing = stored(cat, row["study_id"])
    assert np.array_equal(study.image, image) and np.array_equal(study.label, label)
    assert study.spacing_mm == spacing and study.views() == [study] and study.modality == "CT"
    dz, dy, dx = spacing
    assert np.array_equal(study.ras_affine(), np.diag([-dx, -dy, dz, 1.0]))  # LPS to RAS: x and y negated


def test_arrays_that_do_not_match_the_checksum_are_refused_naming_the_study(built_dataset, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(built_dataset.storage.uri, root)
    cat = catalog.open(str(root))
    row = row_of(cat, 0)
    with pytest.raises(StorageError, match=f"study {row['study_id']}: stored arrays do not match"):
        read(cat.store, {**row, "checksum": "0" * 64})
    group = root / row["image_path"].removesuffix("/0")
    shutil.rmtree(group / "labels")
    with pytest.raises(StorageError, match=f"study {row['study_id']}: cannot read"):
        read(cat.store, row)


def test_each_series_is_a_view_with_its_own_contrast(series_dataset):
    cat = catalog.open(series_dataset.storage.uri)
    study = read(cat.store, row_of(cat, 0, "series"))
    views = study.views()
    assert [v.name for v in views] == list(study.series) and [v.number for v in views] == [1, 2, 3, 4]
    assert [v.row["contrast"] for v in views] == list(study.series)
    assert all(np.array_equal(v.image, study.image[k]) for k, v in enumerate(views))
    assert all(v.label is study.label for v in views)
