"""The generator interface: study specs in, studies out.

A `StudySpec` is everything needed to render one study again, bit for bit: it is derived only from
`(dataset.seed, index)` and the generator's options, and its `params` are what `sample_params`
drew. `render` is a pure function of the spec, so a retried or regenerated study has identical bytes
(for neural generators: on the same device model, software and thread count; see docs/generators/maisi_ct.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import torch

from models.errors import GeneratorError, ParamError
from models.folder import OpenFolder
from models.labels import LabelDict
from models.measure import Measurements
from models.options import Param, parse_params

# Streams of randomness derived from a study seed; fixed forever, or old datasets stop replaying.
PARAMS_STREAM = 0
RENDER_STREAM = 1


def study_seed(dataset_seed: int, index: int) -> int:
    """63-bit seed of study `index` (fits a signed Parquet int64)."""
    state = np.random.SeedSequence([dataset_seed, index]).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def study_rng(seed: int, stream: int, attempt: int = 0) -> np.random.Generator:
    """An independent generator for one use (`PARAMS_STREAM`, `RENDER_STREAM`) of a study seed;
    `attempt` > 0 gives the deterministic redraws of a render that failed quality control."""
    entropy = [seed, stream] if attempt == 0 else [seed, stream, attempt]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def study_id(index: int) -> str:
    return f"s{index:09d}"


@dataclass(frozen=True)
class StudySpec:
    """One study, fully determined: `params` holds every value the generator sampled."""

    study_id: str
    index: int
    seed: int
    generator: str
    params: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "study_id": self.study_id,
            "index": self.index,
            "seed": self.seed,
            "generator": self.generator,
            "params": self.params,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StudySpec:
        return cls(
            study_id=str(data["study_id"]),
            index=int(data["index"]),
            seed=int(data["seed"]),
            generator=str(data["generator"]),
            params=dict(data["params"]),
        )


@dataclass(frozen=True)
class QC:
    """A study's quality control: whether it passed, how many redraws it took, what failed."""

    passed: bool = True
    redraws: int = 0
    failures: tuple[str, ...] = ()


@dataclass
class Study:
    """A rendered study: arrays in z, y, x order, spacing in millimetres.

    `measurements` may be left None: the worker measures the study then (off the device's path).
    `columns` fills the generator's declared `columns` by name; `timing` is free-form, for
    benchmarks and logs (never the catalog).

    A study of several series (`models.series`) has an image of (series, z, y, x), `series`
    naming them in order, and `series_measurements` one per series (or None: the worker measures
    them); `measurements` then describes the first series. The label map is shared."""

    image: np.ndarray
    label: np.ndarray
    spacing_mm: tuple[float, float, float]
    measurements: Measurements | None = None
    qc: QC = field(default_factory=QC)
    columns: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, Any] = field(default_factory=dict)
    series: tuple[str, ...] = ()
    series_measurements: tuple[Measurements, ...] | None = None

    def series_image(self, k: int) -> np.ndarray:
        """The image of series `k` (the image itself for a single-series study)."""
        return self.image[k] if self.series else self.image


# The dtypes a study's arrays may have: what the factory stores (`pipeline.store.omezarr`) and streams.
IMAGE_DTYPES = ("int16", "uint16", "float16", "float32", "uint8")
LABEL_DTYPES = ("uint8", "uint16")


def arrays_problem(study: Study, series: tuple[str, ...] = ()) -> str | None:
    """Why `study`'s arrays break the contract, or None: equal 3-D shapes (a (series, z, y, x)
    image holding `series` in order for a study of several), supported dtypes, 3 positive
    spacings. The worker refuses such a study and the contract kit fails on it, by this one rule."""
    if tuple(study.series) != tuple(series):
        return f"rendered the series {list(study.series)}, the dataset has {list(series)}"
    volume = study.image.shape[1:] if series else study.image.shape
    if study.label.ndim != 3 or volume != study.label.shape or study.image.ndim != 3 + bool(series):
        with_series = f" (the image with {len(series)} series first)" if series else ""
        return f"image {study.image.shape} and label {study.label.shape} must be equal 3-D shapes{with_series}"
    if series and study.image.shape[0] != len(series):
        return f"the image holds {study.image.shape[0]} series, not {len(series)}"
    if str(study.image.dtype) not in IMAGE_DTYPES or str(study.label.dtype) not in LABEL_DTYPES:
        return f"unsupported dtypes image={study.image.dtype} label={study.label.dtype}"
    if len(study.spacing_mm) != 3 or any(not float(s) > 0 for s in study.spacing_mm):
        return f"spacing {study.spacing_mm} must be 3 positive numbers"
    return None


@dataclass(frozen=True)
class GeneratorOptions:
    """What a dataset config says about its generator; `None` means the generator's default.
    `series`: the series each study holds (`models.series`); None: one, as the generator draws it.
    `open_folder`: how the generator opens a folder of label maps a param names (`models.folder`;
    the factory gives `pipeline.store.folder.open_folder`); None: it cannot read one."""

    shape: tuple[int, int, int] | None = None
    spacing_mm: tuple[float, float, float] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    series: tuple[str, ...] | None = None
    open_folder: OpenFolder | None = None

    def checked_shape(
        self, generator: str, default: tuple[int, int, int], limits: tuple[int, int]
    ) -> tuple[int, int, int]:
        """`shape`, or `default` when it is None; `ParamError` naming `generator` for one that is
        not 3 sizes within `limits`."""
        if self.shape is None:
            return default
        lo, hi = limits
        if len(self.shape) != 3 or any(not lo <= int(n) <= hi for n in self.shape):
            raise ParamError(
                "shape", f"{generator} makes 3 sizes (z, y, x) each within [{lo}, {hi}], got {list(self.shape)}"
            )
        return (int(self.shape[0]), int(self.shape[1]), int(self.shape[2]))

    def checked_spacing(self, generator: str, limits: tuple[float, float]) -> tuple[float, float, float] | None:
        """`spacing_mm` (None: the generator's own); `ParamError` naming `generator` for one that
        is not 3 spacings within `limits` (mm)."""
        if self.spacing_mm is None:
            return None
        lo, hi = limits
        if len(self.spacing_mm) != 3 or any(not lo <= float(s) <= hi for s in self.spacing_mm):
            raise ParamError(
                "spacing_mm",
                f"{generator} takes 3 spacings (z, y, x) in mm within [{lo:g}, {hi:g}], got {list(self.spacing_mm)}",
            )
        return (float(self.spacing_mm[0]), float(self.spacing_mm[1]), float(self.spacing_mm[2]))


@runtime_checkable
class Generator(Protocol):
    """What every generator provides. Constructed once per worker with `GeneratorOptions`.

    `columns` are the generator's own catalog columns (name -> Arrow type name: "double",
    "int64", "string", "bool"; `{}` for none), filled from each study's `Study.columns`; the
    optional `describes` names the parameter that fills each common column of `DESCRIBED` it
    fills (`{"sex": "sex"}`);
    `shape` is the output size (z, y, x) it makes when `generator.shape` is null. A generator may
    also be `Preparing` (see below), and may render several series (`series_names`, the names
    it knows; `models.series`). `models.registry.create` refuses one that lacks a member, and
    `generator.series` for one that has no `series_names`."""

    name: str
    version: str
    label_dict: LabelDict
    columns: Mapping[str, str]
    shape: tuple[int, int, int]

    def sample_params(self, rng: np.random.Generator) -> dict[str, Any]:
        """Draw one study's parameters (JSON-serialisable; include `modality`)."""
        ...

    def render(self, spec: StudySpec, device: torch.device) -> Study:
        """Render `spec` deterministically on `device` (the CPU, or a GPU with its index: `indexed`)."""
        ...


class BaseGenerator:
    """What a generator inherits so that it writes only its own work: `name`, `version`,
    `label_dict` (a class attribute, or set in `__init__`), `sample_params` and `render`.

    The base keeps the grid and the parameters: `self.shape` (`generator.shape`, or
    `default_shape`) and `self.spacing` (`generator.spacing_mm`, None for the generator's own),
    both checked against the class's limits, `self.shape_given`, and `self.params`, the dataset's
    `generator.params` parsed against `declared_params` (`models.options`; none declared: any
    given is refused by name). A subclass's `__init__` calls `super().__init__(options)` first.
    `columns` (its own catalog columns) and `describes` (which common columns it fills) default to
    none; `series_names`, `acquisition` and `prepare` stay optional, as on the protocol."""

    columns: ClassVar[Mapping[str, str]] = {}
    describes: ClassVar[Mapping[str, str]] = {}
    declared_params: ClassVar[Mapping[str, Param]] = {}
    default_shape: ClassVar[tuple[int, int, int]] = (64, 64, 64)
    shape_limits: ClassVar[tuple[int, int]] = (16, 1024)
    spacing_limits: ClassVar[tuple[float, float]] = (0.2, 10.0)

    def __init__(self, options: GeneratorOptions) -> None:
        name = getattr(self, "name", type(self).__name__)
        self.shape_given = options.shape is not None
        self.shape = options.checked_shape(name, self.default_shape, self.shape_limits)
        self.spacing = options.checked_spacing(name, self.spacing_limits)
        self.params = parse_params(self.declared_params, options.params)


@runtime_checkable
class Preparing(Protocol):
    """A generator with CPU work per study that needs no device (maisi_ct: its label map), run
    ahead on another thread while the previous study renders (`models.schedule`). `prepare` must be
    thread-safe and leave its result where `render` finds it; `render` must also work for a spec
    that was never prepared."""

    def prepare(self, spec: StudySpec) -> None: ...


@runtime_checkable
class AcquisitionRecord(Protocol):
    """How a generator's studies record their acquisition, for exporters: a generator class may
    declare one as its `acquisition` attribute (body_mr and brain_mr: `models.mr.record`), and
    `pipeline.export` reads it from the class `models.registry.factory` names, never from the
    generator's modules. `columns`: the catalog columns that hold it; `series_columns`: one
    series' columns (contrast included) from its entry in params' `series_acquisitions`;
    `dicom`: the DICOM attributes (keyword -> value) of a catalog row, `{}` where it has none."""

    columns: tuple[str, ...]

    def series_columns(self, recorded: Mapping[str, Any]) -> dict[str, Any]: ...

    def dicom(self, row: Mapping[str, Any]) -> dict[str, Any]: ...


def indexed(device: torch.device | str) -> torch.device:
    """`device` with its index. `render` is given one: torch's per-device calls (memory fraction,
    device properties) refuse an index-less `cuda` ("Expected a torch.device with a specified
    index"), which means the current device; any other device is returned as it is."""
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


MEMBERS = ("name", "version", "label_dict", "columns", "shape", "sample_params", "render")
# The common catalog columns that describe a study (pipeline.catalog.columns): a generator fills those it
# names in its `describes` (column -> the parameter that holds it); the others stay null, whatever
# its params are called.
DESCRIBED = ("contrast", "body_region", "sex", "age")
# Every common column, from the parameter of its own name (read-only: generator classes share it).
ALL_DESCRIBED: Mapping[str, str] = MappingProxyType({name: name for name in DESCRIBED})


def describes(generator: object) -> dict[str, str]:
    """`generator`'s `describes` (none declared: {}), checked: columns of `DESCRIBED`, each filled
    from a parameter named by a string."""
    declared = getattr(generator, "describes", None) or {}
    name = getattr(generator, "name", type(generator).__name__)
    if not isinstance(declared, Mapping) or not all(isinstance(v, str) and v for v in declared.values()):
        raise GeneratorError(f"generator.name: {name}'s describes must map columns to parameter names")
    unknown = sorted(set(declared) - set(DESCRIBED))
    if unknown:
        raise GeneratorError(
            f"generator.name: {name} describes {unknown[0]!r}, not a common column ({', '.join(DESCRIBED)})"
        )
    return dict(declared)


def make_spec(generator: Generator, dataset_seed: int, index: int) -> StudySpec:
    """The spec of study `index`: a function of the dataset seed, the index and the generator only."""
    seed = study_seed(dataset_seed, index)
    params = generator.sample_params(study_rng(seed, PARAMS_STREAM))
    return StudySpec(study_id(index), index, seed, generator.name, params)
