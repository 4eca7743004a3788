"""Every catalog column is declared once (`pipeline.catalog.columns`): the Parquet schema, the manifest
row, the stream's columns and jobs.query's table all follow that declaration."""

import pytest

from jobs.query import TABLE_COLUMNS
from models.labels import maisi_ct_labels
from pipeline import catalog
from pipeline.catalog.columns import COMMON, declare, schema, shown_columns, stream_columns, suffix
from tests.conftest import SERIES

LABELS = maisi_ct_labels().subset(["liver", "aorta"], name="two")


def test_the_schema_and_the_rows_come_from_one_declaration(built_dataset, series_dataset):
    for cfg, series in ((built_dataset, ()), (series_dataset, SERIES)):
        cat = catalog.open(cfg.storage.uri)
        declared = declare(cat.info.labels, cat.info.columns, series)
        assert cat.schema == schema(cat.info.labels, cat.info.columns, series)
        assert cat.columns == [c.name for c in declared]
        row = cat.query(limit=1).to_pylist()[0]
        assert list(row) == [c.name for c in declared]
        not_null = [c.name for c in declared if not c.nullable]
        assert all(row[name] is not None for name in not_null)


def test_series_add_their_columns_named_by_the_series():
    one = [c.name for c in declare(LABELS, {"noise_hu": "double"})]
    two = [c.name for c in declare(LABELS, {"noise_hu": "double"}, ("arterial", "MPRAGE_gd"))]
    added = [name for name in two if name not in one]
    assert added == [
        "series",
        "intensity_mean_arterial",
        "intensity_std_arterial",
        "liver_hu_arterial",
        "aorta_hu_arterial",
        "intensity_mean_mprage_gd",
        "intensity_std_mprage_gd",
        "liver_hu_mprage_gd",
        "aorta_hu_mprage_gd",
    ]
    assert set(one) <= set(two) and suffix("MPRAGE_gd") == "mprage_gd"


def test_the_stream_and_the_query_read_declared_columns():
    assert set(stream_columns()) <= {c.name for c in COMMON}
    assert "intensity_mean_arterial" in stream_columns(("arterial",)) and "series" in stream_columns(("arterial",))
    assert TABLE_COLUMNS[: len(shown_columns())] == shown_columns()


def test_a_column_declared_twice_is_refused():
    with pytest.raises(ValueError, match="'liver_ml' would be declared twice"):
        declare(LABELS, {"liver_ml": "double"})
