"""The phantom's reference anatomy (`data/reference.json`): every number says where it comes
from, every entry is well formed and drawn by a render (no dead data), the two sides of a paired
organ mirror each other, and a name the file lacks is an error naming it."""

from pathlib import Path

import pytest
import torch

from models import GeneratorOptions, make_spec
from models.errors import GeneratorError
from models.phantom_ct import reference
from models.registry import create

DATA = reference._data()
SECTIONS = ("organs", "tubes", "tables", "landmarks")


def test_every_entry_says_where_its_numbers_come_from():
    assert set(DATA) == {"about", *SECTIONS}
    for section in SECTIONS:
        for name, entry in DATA[section].items():
            assert isinstance(entry.get("source"), str) and len(entry["source"]) > 20, f"{section}/{name}"


def test_organs_tubes_and_tables_are_well_formed():
    for name in DATA["organs"]:
        if name == "spleen":  # placed on the wall: its height, bed and inset instead of a centre
            continue
        o = reference.organ(name)
        assert all(r > 0 for r in o.radii_mm) and 0 <= o.bend < 0.2, name
    for name in DATA["tubes"]:
        p = reference.path(name)
        first = 0 if "bronchus" not in name else 1  # a main bronchus starts at the carina, drawn by the trachea
        assert len(p.points_mm) + first == len(p.radii_mm) >= 2 and all(r > 0 for r in p.radii_mm), name
    for name, entry in DATA["tables"].items():
        rows = reference.table(name)
        assert rows and all(len(row) == len(entry["columns"]) for row in rows), name
        if entry["columns"][0] == "z_mm":
            assert [r[0] for r in rows] == sorted(r[0] for r in rows), name  # knots in z order for interp


def test_paired_organs_mirror_each_other_across_the_midline():
    for name in DATA["organs"]:
        if name.startswith("left "):
            left, right = reference.organ(name), reference.organ("right " + name.removeprefix("left "))
            assert left.centre_mm[0] == -right.centre_mm[0] and left.centre_mm[1] == right.centre_mm[1]
            assert left.radii_mm == right.radii_mm
            assert left.angles_deg == (right.angles_deg[0], -right.angles_deg[1], -right.angles_deg[2])


def test_a_render_reads_every_organ_and_tube(monkeypatch):
    read: set[tuple[str, str]] = set()
    original = reference._entry

    def recording(section: str, name: str):
        read.add((section, name))
        return original(section, name)

    monkeypatch.setattr(reference, "_entry", recording)
    g = create("phantom_ct", GeneratorOptions(shape=(40, 48, 48), params={"body_region": "chest_abdomen_pelvis"}))
    for index in range(8):  # both sexes: the prostate is drawn for men only
        spec = make_spec(g, 3, index)
        if spec.params["sex"] == "M":
            break
    g.render(spec, torch.device("cpu"))
    assert {(s, n) for s in ("organs", "tubes") for n in DATA[s]} - read == set()


def referenced(name: str, source: str) -> bool:
    """Whether the code names `name`: as a literal, or as an f-string of a literal prefix
    (`"right"`) and its rest (`f"{side} kidney"`)."""
    if f'"{name}"' in source:
        return True
    words = name.split(" ")
    return any(
        f'}} {" ".join(words[i:])}"' in source and f'"{" ".join(words[:i])}"' in source for i in range(1, len(words))
    )


def test_the_code_names_every_entry():
    source = "\n".join(p.read_text() for p in Path(reference.__file__).parent.glob("*.py"))
    assert [f"{s}/{n}" for s in SECTIONS for n in DATA[s] if not referenced(n, source)] == []


def test_a_name_the_file_lacks_is_an_error_naming_it():
    with pytest.raises(GeneratorError, match=r"no organs entry 'appendix'"):
        reference.organ("appendix")
