"""The folder a generator reads label maps from (`models.folder`) is an interface: the factory's
implementation (`pipeline.store.folder.StoreFolder`) has every member it names, with the same
parameters, so a generator written against the protocol runs on what the factory hands it."""

import inspect

from models.folder import Folder, StudyLabels
from pipeline.store.folder import StoreFolder


def members(cls) -> dict[str, inspect.Signature | None]:
    found = {}
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        found[name] = inspect.signature(value) if inspect.isfunction(value) else None
    return found


def test_the_factorys_folder_has_every_member_of_the_protocol_with_its_parameters():
    wanted = members(Folder) | dict.fromkeys(Folder.__annotations__)
    given = members(StoreFolder) | dict.fromkeys(StoreFolder.__annotations__)
    assert set(wanted) == {"uri", "is_folder", "exists", "walk", "read", "identity", "committed_studies",
                           "study_labels", "read_labels"}  # fmt: skip
    assert set(wanted) <= set(given)
    for name, signature in wanted.items():
        if signature is not None:
            assert list(signature.parameters) == list(inspect.signature(getattr(StoreFolder, name)).parameters), name


def test_study_labels_are_values():
    a = StudyLabels((4, 5, 6), (1.0, 1.0, 2.0), "sha256:00")
    assert a == StudyLabels((4, 5, 6), (1.0, 1.0, 2.0), "sha256:00") and hash(a) == hash(StudyLabels(*vars(a).values()))
