import matplotlib.image
import numpy as np

from jobs import preview
from jobs.cli import run


def test_one_png_per_study_with_views_and_legend(built_dataset, tmp_path, capsys):
    out = tmp_path / "previews"
    assert run(preview.main, [built_dataset.storage.uri, "--n", "2", "--where", "index >= 4", "--out", str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ["s000000004.png", "s000000005.png"]
    picture = matplotlib.image.imread(out / files[0])
    assert picture.shape[0] > 500 and picture.shape[1] > 1000
    assert np.unique(picture[..., :3].reshape(-1, 3), axis=0).shape[0] > 100  # grey levels and label colours
    assert str(out / files[1]) in capsys.readouterr().out


def test_bad_out_and_bad_n_are_one_line_exit_2(built_dataset, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert run(preview.main, [built_dataset.storage.uri, "--out", str(blocker / "sub")]) == 2
    assert capsys.readouterr().err.startswith("error: --out: cannot create")
    assert run(preview.main, [built_dataset.storage.uri, "--n", "0", "--out", str(tmp_path)]) == 2


def test_brain_mr_previews_too(brain_dataset, tmp_path):
    assert run(preview.main, [brain_dataset.storage.uri, "--n", "1", "--out", str(tmp_path)]) == 0
    picture = matplotlib.image.imread(tmp_path / "s000000000.png")
    assert picture.shape[1] > 1000


def test_body_mr_previews_too(body_mr_dataset, tmp_path):
    assert run(preview.main, [body_mr_dataset.storage.uri, "--n", "2", "--out", str(tmp_path)]) == 0
    picture = matplotlib.image.imread(tmp_path / "s000000001.png")
    assert picture.shape[1] > 1000 and np.unique(picture[..., :3].reshape(-1, 3), axis=0).shape[0] > 100
