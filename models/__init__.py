"""Generators: study parameters in, image + voxel-exact labels out. No storage, no Ray.

The factory reaches generators only through this interface and `models.registry`.
"""

from models.base import Generator, GeneratorOptions, Study, StudySpec, make_spec, study_id, study_seed
from models.errors import GeneratorError, MedsynthError, ParamError
from models.labels import Label, LabelDict

__all__ = [
    "Generator",
    "GeneratorError",
    "GeneratorOptions",
    "Label",
    "LabelDict",
    "MedsynthError",
    "ParamError",
    "Study",
    "StudySpec",
    "make_spec",
    "study_id",
    "study_seed",
]
