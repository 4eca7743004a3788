import textwrap

import numpy as np
import pytest
import torch

from models import GeneratorError, GeneratorOptions, ParamError, Study, make_spec
from models.contract import Contract
from models.registry import ENTRY_POINT_GROUP, available, create

PLUGIN = """
import numpy as np
from models.base import Study
from models.labels import maisi_ct_labels


class Cube:
    name = "cube"
    version = "1.0"
    columns = {}

    def __init__(self, options):
        self.shape = tuple(options.shape or (8, 8, 8))
        self.size = self.shape[0]
        self.label_dict = maisi_ct_labels().subset(["liver"], name="cube")

    def sample_params(self, rng):
        return {"modality": "CT", "fill": int(rng.integers(1, 100))}

    def render(self, spec, device):
        image = np.full((self.size,) * 3, spec.params["fill"], dtype=np.int16)
        label = np.ones((self.size,) * 3, dtype=np.uint8)
        return Study(image, label, (1.0, 1.0, 1.0))
"""
# The same generator on models.base.BaseGenerator: only what its own work needs (README shows it).
ON_THE_BASE = """
import numpy as np
from models.base import BaseGenerator, Study
from models.labels import maisi_ct_labels


class Sphere(BaseGenerator):
    name, version = "sphere", "1.0"
    label_dict = maisi_ct_labels().subset(["liver"], name="sphere")

    def sample_params(self, rng):
        return {"modality": "CT", "radius": float(rng.uniform(0.2, 0.45))}

    def render(self, spec, device):
        z, y, x = np.indices(self.shape) / np.array(self.shape)[:, None, None, None] - 0.5
        label = (np.sqrt(x**2 + y**2 + z**2) < spec.params["radius"]).astype(np.uint8)
        return Study((label * 60 - 100).astype(np.int16), label, self.spacing or (1.0, 1.0, 1.0))
"""


def test_builtins_are_available():
    assert {"phantom_ct", "brain_mr"} <= set(available())


def test_unknown_generator_names_the_field():
    with pytest.raises(GeneratorError, match=r"^generator.name: unknown generator 'nope'"):
        create("nope", GeneratorOptions())


def test_third_party_generator_through_entry_points(tmp_path, monkeypatch):
    """A package that declares a `medsynth.generators` entry point is found without a fork."""
    (tmp_path / "cube_plugin.py").write_text(PLUGIN)
    dist = tmp_path / "cube_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: cube-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent(f"[{ENTRY_POINT_GROUP}]\ncube = cube_plugin:Cube\n"))
    monkeypatch.syspath_prepend(str(tmp_path))

    assert "cube" in available()
    generator = create("cube", GeneratorOptions(shape=(4, 4, 4)))
    study = generator.render(make_spec(generator, 0, 0), torch.device("cpu"))
    assert isinstance(study, Study)
    assert study.image.shape == (4, 4, 4)
    assert np.all(study.image == make_spec(generator, 0, 0).params["fill"])


def test_a_generator_missing_a_member_of_the_contract_is_refused_by_name(tmp_path, monkeypatch):
    (tmp_path / "bare_plugin.py").write_text(PLUGIN.replace("    columns = {}\n", ""))
    dist = tmp_path / "bare_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bare-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nbare = bare_plugin:Cube\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(GeneratorError, match=r"generator.name: bare lacks columns \(the contract is models.base"):
        create("bare", GeneratorOptions())


def test_a_generator_on_the_base_writes_only_its_own_work_and_keeps_the_contract(tmp_path, monkeypatch):
    """Five lines of members and two methods: the base checks the grid, parses (here: refuses)
    params and declares no columns; the contract kit passes it whole."""
    (tmp_path / "sphere_plugin.py").write_text(ON_THE_BASE)
    dist = tmp_path / "sphere_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sphere-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nsphere = sphere_plugin:Sphere\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    Contract("sphere", GeneratorOptions(shape=(24, 24, 24))).check_all()
    with pytest.raises(ParamError, match=r"^generator\.shape: sphere makes 3 sizes"):
        create("sphere", GeneratorOptions(shape=(4, 4, 4)))
    with pytest.raises(ParamError, match=r"^generator\.params\.radius: unknown parameter"):
        create("sphere", GeneratorOptions(params={"radius": 0.3}))
    assert create("sphere", GeneratorOptions()).shape == (64, 64, 64)


@pytest.mark.parametrize(
    ("describes", "says"),
    [
        ({"weight": "weight"}, "sphere describes 'weight', not a common column (contrast, body_region, sex, age)"),
        ({"sex": 3}, "sphere's describes must map columns to parameter names"),
        (["sex"], "sphere's describes must map columns to parameter names"),
    ],
)
def test_a_generator_describes_only_common_columns_from_named_params(tmp_path, monkeypatch, describes, says):
    module = f"described_{len(str(describes))}_{type(describes).__name__}"  # one module per case: imports are cached
    (tmp_path / f"{module}.py").write_text(
        ON_THE_BASE + f"\n\nclass Described(Sphere):\n    describes = {describes!r}\n"
    )
    dist = tmp_path / f"{module}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nsphere = {module}:Described\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(GeneratorError) as err:
        create("sphere", GeneratorOptions())
    assert str(err.value) == f"generator.name: {says}"
