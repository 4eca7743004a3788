"""`jobs.bench export`: every export format against the studies' own render time."""

import pytest

from tests.jobs.bench import bench


@pytest.mark.bench
def test_export_benchmark_measures_every_format_against_render(tmp_path):
    _, report = bench("export", tmp_path)
    for name in ("ct", "brain"):
        for way in ("nifti", "dicom_binary", "dicom_labelmap", "dicom_labelmap_jpegls"):
            assert report["metrics"][f"{name}_{way}_s_per_study"] > 0
            assert report["ratios"][f"{name}_{way}_bytes_over_omezarr"] > 0.5
        assert report["metrics"][f"{name}_report_s"] > 0
