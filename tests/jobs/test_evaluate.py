"""`jobs.evaluate` end to end on a tiny dataset and a stand-in real scan, every bad input it refuses,
and (where the shared real data is present) the real abdominal CT."""

import json
from pathlib import Path

import pytest

from jobs import evaluate
from jobs.cli import run
from pipeline.evaluate import classes
from tests.conftest import build_in_process, small_config
from tests.support.realscan import REAL, phantom_scan

FAST = ["--steps", "2", "--channels", "4,8", "--patch", "16,16,16", "--studies", "3"]
CLASSES = "liver,spleen,kidney,vertebrae"


@pytest.fixture(scope="module")
def uri(tmp_path_factory) -> str:
    cfg = small_config(
        tmp_path_factory.mktemp("evaluate") / "ds",
        "dataset.n_studies=4",
        "generator.shape=[32,48,48]",
        "generator.params.body_region=abdomen",
    )
    build_in_process(cfg)
    return cfg.storage.uri


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> tuple[Path, Path]:
    return phantom_scan(tmp_path_factory.mktemp("real"))


def args(uri, real, out, *extra) -> list[str]:
    image, labels = real
    return [uri, "--real", str(image), "--labels", str(labels), "--vocabulary", "totalsegmentator",
            "--classes", CLASSES, "--out", str(out), *FAST, *extra]  # fmt: skip


def test_it_trains_on_the_dataset_and_scores_the_real_scan_beside_ceiling_and_floor(uri, real, tmp_path, capsys):
    assert run(evaluate.main, args(uri, real, tmp_path / "out")) == 0
    report = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert report["studies"] == ["s000000000", "s000000001", "s000000002"] and report["modality"] == "CT"
    assert set(report["summary"]) == {"synthetic", "ceiling", "floor"}
    assert report["classes"]["kidney"] == {
        "dataset": ["left kidney", "right kidney"],
        "real": ["left kidney", "right kidney"],
    }
    (scan,) = report["scans"]
    for kind in ("synthetic", "ceiling", "floor"):
        assert set(scan[kind]["dice"]) == set(CLASSES.split(","))
        assert all(v is None or 0.0 <= v <= 1.0 for v in scan[kind]["dice"].values())
        for name, row in scan[kind]["called"].items():  # where the real class's voxels went: all of them
            assert row is None or (
                set(row) == {"background", *CLASSES.split(",")} and sum(row.values()) == pytest.approx(1.0, abs=1e-3)
            )
            assert row is None or row[name] >= scan[kind]["dice"][name] / 2 - 1e-3  # recall >= Dice / 2
    assert report["summary"]["synthetic"]["called"].keys() == set(CLASSES.split(","))
    assert report["spacing_mm"] == pytest.approx(json.loads(json.dumps(report["spacing_mm"])))
    assert (tmp_path / "out" / "overlay_scan.png").stat().st_size > 5000
    assert report["fit"]["studies"] == 3 and set(report["fit"]["dice"]) == set(CLASSES.split(","))
    printed = capsys.readouterr().out
    assert "mean Dice" in printed and "ceiling (scan): step 2/2" in printed
    assert "fit: the synthetic model on the 3 synthetic studies it trained on" in printed
    assert "% of each class called background / another class:" in printed


def test_several_scans_cross_validate_the_ceiling(uri, real, tmp_path, capsys):
    other = phantom_scan(tmp_path / "second", index=101, name="other")
    extra = ["--real", str(other[0]), "--labels", str(other[1]), "--spacing", "3,3,3", "--no-baselines"]
    assert run(evaluate.main, args(uri, real, tmp_path / "out", *extra)) == 0
    report = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert [s["name"] for s in report["scans"]] == ["scan", "other"] and list(report["summary"]) == ["synthetic"]
    assert report["spacing_mm"] == [3.0, 3.0, 3.0]
    assert "ceiling" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "change, says",
    [
        (["--labels", "EXTRA"], "--labels: give one label map per real scan"),
        (["--vocabulary", "esperanto"], "--vocabulary: must be one of"),
        (["--vocabulary", "seg"], "--vocabulary: seg names labels by a DICOM Segmentation's segments"),
        (["--classes", "unicorn"], "--classes: no label of the dataset"),
        (["--classes", "liver,femur"], "--classes: 'femur' is in no real scan's labels"),
        (["--where", "index < 0"], "--where: selects no studies"),
        (["--where", "nonsense_column > 1"], "nonsense_column"),
        (["--device", "cuda"], "--device: cuda asked for, but this machine has no CUDA GPU"),
        (["--device", "toaster"], "--device"),
        (["--steps", "0"], "--steps"),
        (["--seeds", "0"], "--seeds"),
        (["--spacing", "3,3"], "--spacing"),
        (["--spacing", "nan,3,3"], "--spacing"),
        (["--window", "350,-250"], "--window: low must be below high"),
        (["--out", "INSIDE"], "is inside the dataset"),
        (["--out", ""], "--out: must name a folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_before_any_work(uri, real, tmp_path, capsys, change, says):
    argv = args(uri, real, tmp_path / "out")
    change = [uri + "/studies" if c == "INSIDE" else str(real[1]) if c == "EXTRA" else c for c in change]
    argv += change
    assert run(evaluate.main, argv) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_scan_holding_none_of_the_classes_is_refused(uri, tmp_path, capsys):
    import numpy as np

    from tests.support.realscan import write_nifti

    image = write_nifti(tmp_path / "blank.nii.gz", np.zeros((8, 8, 8), np.int16), (3.0, 3.0, 3.0))
    labels = write_nifti(tmp_path / "blank_seg.nii.gz", np.zeros((8, 8, 8), np.uint8), (3.0, 3.0, 3.0))
    assert run(evaluate.main, args(uri, (image, labels), tmp_path / "out")) == 2
    assert "holds none of the classes" in capsys.readouterr().err


def test_several_seeds_give_each_seeds_model_its_mean_and_their_spread(uri, real, tmp_path, capsys):
    assert run(evaluate.main, args(uri, real, tmp_path / "two", "--seeds", "2", "--no-baselines")) == 0
    two = json.loads((tmp_path / "two" / "evaluation.json").read_text())
    assert run(evaluate.main, args(uri, real, tmp_path / "one", "--seed", "1", "--no-baselines")) == 0
    one = json.loads((tmp_path / "one" / "evaluation.json").read_text())
    synthetic = two["summary"]["synthetic"]
    assert two["settings"]["seeds"] == 2 and len(synthetic["seeds"]) == 2 and len(two["fit"]["seeds"]) == 2
    assert synthetic["seeds"][1] == one["summary"]["synthetic"]["mean_dice"]  # the second model is --seed 1's
    assert synthetic["mean_dice"] == pytest.approx(sum(synthetic["seeds"]) / 2, abs=1e-3)
    assert synthetic["spread"] == pytest.approx(max(synthetic["seeds"]) - min(synthetic["seeds"]), abs=1e-3)
    assert two["fit"]["mean_dice"] == pytest.approx(sum(two["fit"]["seeds"]) / 2, abs=1e-3)
    assert len(two["scans"][0]["synthetic"]["seeds"]) == 2
    printed = capsys.readouterr().out
    assert "synthetic (seed 1): step 2/2" in printed and "means of 2 seeds" in printed


def test_a_config_asking_for_no_model_is_refused_before_any_work(uri, real):
    from pipeline.errors import ConfigError
    from pipeline.evaluate.run import EvaluateConfig, prepare

    image, labels = real
    for seeds in (0, 101, 1.5, True):
        config = EvaluateConfig(
            uri, (str(image),), (str(labels),), "totalsegmentator", classes.parse("liver"), seeds=seeds
        )
        with pytest.raises(ConfigError, match=r"^--seeds: "):
            prepare(config, print)


@pytest.fixture(scope="module")
def dicom_scan(uri, tmp_path_factory) -> Path:
    """The dataset's fourth study (not among the three trained on) as a DICOM series and SEG."""
    from pipeline import catalog
    from pipeline.export import export

    out = tmp_path_factory.mktemp("dicom")
    export(catalog.open(uri), "dicom", out, where="index = 3", progress=False)
    return out / "s000000003"


def test_a_dicom_series_and_its_segmentation_are_scored_by_their_segment_labels(uri, dicom_scan, tmp_path):
    argv = [uri, "--real", str(dicom_scan / "image"), "--labels", str(dicom_scan / "segmentation.dcm"),
            "--vocabulary", "seg", "--classes", CLASSES, "--out", str(tmp_path / "out"), *FAST,
            "--no-baselines"]  # fmt: skip
    assert run(evaluate.main, argv) == 0
    report = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert report["vocabulary"] == "seg" and report["scans"][0]["name"] == "image"
    assert report["classes"]["kidney"] == {
        "dataset": ["left kidney", "right kidney"],
        "real": ["left kidney", "right kidney"],
    }
    assert len(report["classes"]["vertebrae"]["real"]) > 1  # every level the SEG holds
    assert (tmp_path / "out" / "overlay_image.png").is_file()


def test_a_dicom_series_of_another_modality_is_refused(uri, dicom_scan, tmp_path, capsys):
    import pydicom

    series = tmp_path / "mr"
    series.mkdir()
    for f in (dicom_scan / "image").glob("*.dcm"):
        ds = pydicom.dcmread(f)
        ds.Modality = "MR"
        ds.save_as(series / f.name)
    argv = [uri, "--real", str(series), "--labels", str(dicom_scan / "segmentation.dcm"), "--vocabulary", "seg",
            "--classes", CLASSES, "--out", str(tmp_path / "out"), *FAST]  # fmt: skip
    assert run(evaluate.main, argv) == 2
    err = capsys.readouterr().err
    assert "--real: " in err and "is a MR series; the studies are CT" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not REAL.is_dir(), reason="the shared real scans (../shared/data/real) are not in this checkout")
def test_the_real_abdominal_ct_is_read_scored_and_drawn(uri, tmp_path):
    ct = REAL / "ct"
    argv = [uri, "--real", str(ct / "example_ct_sm.nii.gz"), "--labels", str(ct / "example_seg.nii.gz"),
            "--vocabulary", "totalsegmentator", "--classes", "liver,spleen,kidney,vertebrae,aorta",
            "--out", str(tmp_path / "out"), *FAST]  # fmt: skip
    assert run(evaluate.main, argv) == 0
    report = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert report["spacing_mm"] == [3.0, 3.0, 3.0] and report["scans"][0]["shape_zyx"] == [30, 101, 122]
    assert all(v is not None for v in report["scans"][0]["ceiling"]["dice"].values())  # every class is in the scan


def _report(fit: float, ceiling: float | None) -> dict:
    summary = {"synthetic": {"dice": {"liver": 0.5}, "mean_dice": 0.5}}
    if ceiling is not None:
        summary["ceiling"] = {"dice": {"liver": ceiling}, "mean_dice": ceiling}
    fitted = {"dice": {"liver": fit}, "mean_dice": fit, "studies": 12}
    return {"classes": {"liver": {}}, "summary": summary, "fit": fitted, "settings": {"steps": 300}}


def test_the_table_says_when_the_budget_holds_the_synthetic_model_down():
    """A synthetic model that has not learnt its own studies (fit far below the ceiling) is the
    budget's limit as well as the data's, and the reader is told so and how to tell them apart."""
    said = "at 300 steps it has not learnt them"
    assert said in evaluate.table(_report(fit=0.64, ceiling=0.96))
    assert said not in evaluate.table(_report(fit=0.91, ceiling=0.96))
    assert said not in evaluate.table(_report(fit=0.64, ceiling=None))  # --no-baselines: nothing to compare


def test_the_table_says_whether_the_real_organs_were_missed_or_mistaken():
    """A model that calls a real organ background needs another cure than one that calls it another
    organ; the table gives both shares for each class."""
    report = _report(fit=0.9, ceiling=0.96)
    report["summary"]["synthetic"]["called"] = {
        "liver": {"background": 0.5, "liver": 0.3, "spleen": 0.2},
        "spleen": None,
    }
    assert "% of each class called background / another class: liver 50 / 20" in evaluate.table(report)
