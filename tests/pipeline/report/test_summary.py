import numpy as np
import pyarrow.compute as pc

from models import references
from pipeline import catalog
from pipeline.report.summary import QUANTILES, summarise


def test_counts_quantiles_and_bytes_match_the_rows(built_dataset):
    cat = catalog.open(built_dataset.storage.uri)
    summary = summarise(cat, "index < 8")
    rows = cat.query("index < 8")
    assert summary.studies == 8 and summary.planned == 10
    for column, counted in summary.counts.items():
        assert sum(n for _, n in counted) == 8, column
    regions = dict(summary.counts["body_region"])
    assert regions == {v: int(pc.sum(pc.equal(rows["body_region"], v)).as_py()) for v in regions}
    liver = next(d for d in summary.volumes if d.label == "liver")
    present = np.array([v for v in rows["liver_ml"].to_pylist() if v > 0])
    assert liver.studies == present.size and np.allclose(liver.quantiles, np.quantile(present, QUANTILES))
    assert liver.reference == references.volume_ml("liver")
    assert all(d.studies > 0 for d in summary.volumes)  # labels never present are left out
    assert set(summary.intensities) == set(rows["contrast"].to_pylist())
    for contrast, found in summary.intensities.items():
        aorta = next(d for d in found if d.label == "aorta")
        assert aorta.reference == references.hu("aorta", contrast)
    assert summary.qc_passed == int(pc.sum(rows["qc_pass"]).as_py())
    voxels = np.array([np.prod(s) for s in rows["shape_zyx"].to_pylist()])
    assert np.array_equal(summary.raw_bytes, voxels * (2 + 1))  # int16 image, uint8 labels


def test_mr_has_no_intensity_references(brain_dataset):
    summary = summarise(catalog.open(brain_dataset.storage.uri))
    assert list(summary.intensities) == ["T1"]
    assert all(d.reference is None for d in summary.intensities["T1"])
    white = next(d for d in summary.volumes if d.label == "left cerebral white matter")
    assert white.reference == (165.0, 350.0)


def test_arterial_aorta_reference_is_brighter_than_non_contrast():
    assert references.hu("aorta", "arterial")[0] > references.hu("aorta", "non_contrast")[1]
    assert references.hu("liver", None) == references.hu("liver", "non_contrast")
    assert references.hu("vertebrae L1", "arterial") is None
