"""A training program run as `python -m NAME`: its StreamLoader workers find the program's imports
already made in the fork server, every epoch, and start without runpy's warning."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from pipeline.stream.dataset import main_module
from tests.conftest import REPO

PROGRAM = """
import os
import sys
from functools import partial
from pathlib import Path

from prog import heavy  # stands for MONAI: what a worker must not import again
from pipeline.stream import StreamLoader, StudyStream


def started(folder, worker_id):
    (folder / f"worker-{os.getpid()}").write_text("")


if __name__ == "__main__":
    uri, folder = sys.argv[1], Path(sys.argv[2])
    stream = StudyStream(uri, patch_size=(16, 16, 16), patches_per_study=2, seed=3)
    loader = StreamLoader(stream, batch_size=2, num_workers=2, worker_init_fn=partial(started, folder))
    for epoch in range(2):
        stream.set_epoch(epoch)
        print(epoch, sum(len(batch["study_id"]) for batch in loader))
"""
HEAVY = """
import os
from pathlib import Path

Path(os.environ["IMPORTS"], f"heavy-{os.getpid()}").write_text("")
"""


def test_workers_of_a_module_program_do_not_import_it_again(uri, tmp_path):
    (tmp_path / "prog").mkdir()
    (tmp_path / "prog" / "__init__.py").write_text("")
    (tmp_path / "prog" / "train.py").write_text(textwrap.dedent(PROGRAM))
    (tmp_path / "prog" / "heavy.py").write_text(textwrap.dedent(HEAVY))
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]), "IMPORTS": str(marks)}
    run = subprocess.run(
        [sys.executable, "-m", "prog.train", uri, str(marks)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["0", "12", "1", "12"]
    workers = {p.name.removeprefix("worker-") for p in marks.glob("worker-*")}
    imported = {p.name.removeprefix("heavy-") for p in marks.glob("heavy-*")}
    assert len(workers) == 4  # two workers an epoch, started again for the second
    assert len(imported) == 2  # the program, and the fork server once
    assert not workers & imported
    assert "found in sys.modules" not in run.stderr


def test_the_main_module_is_preloaded_only_when_it_has_a_module_name(monkeypatch):
    class Main:
        def __init__(self, name):
            self.__spec__ = None if name is None else type("Spec", (), {"name": name})()

    for name, expected in (("prog.train", ["prog.train"]), ("pytest.__main__", []), (None, [])):
        monkeypatch.setitem(sys.modules, "__main__", Main(name))
        assert main_module() == expected
    monkeypatch.setitem(sys.modules, "__main__", Path)  # a module without a spec attribute at all
    assert main_module() == []
