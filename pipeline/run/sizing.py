"""How big and how long a dataset will be, before anything runs (`python -m jobs.plan`).

Everything scales a measured `Sample`: one generator at one shape, its studies encoded with the
dataset's codec (bytes of image and label, objects), a manifest part's fixed and per-row bytes,
and seconds per study on one worker. Bytes and seconds scale linearly with voxels from the nearest
measured shape (both are per-voxel work); workers scale linearly (the generate benchmark measures
2 workers at 1.76x one on 2 cores, and a cluster adds nodes, not contention). `measure` renders a
few studies here to make a sample; `pipeline/data/sizing.json` ships the samples of the built-in
generators, with where each was measured.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from dataclasses import asdict, dataclass, replace
from importlib import resources

import torch

from models import make_spec
from pipeline.catalog.filling import RowContext, Written
from pipeline.catalog.manifest import encode_part, row
from pipeline.config.job import GenerateConfig
from pipeline.errors import ConfigError
from pipeline.run.worker import admit_study, build_generator
from pipeline.store.omezarr import IMAGE_PATH, LABEL_PATH, Encoding, checksum, encode_study, stored_bytes

# A worker keeps this share of bare rendering speed (jobs.bench generate: pipeline 1 worker / bare).
PIPELINE_EFFICIENCY = 0.87
# What each series after the first adds to a study's worker time, as a share of a one-series study
# (jobs.bench series: 4 phantom_ct phases took 2.52x one, so (2.52 - 1) / 3); its image bytes grow
# with the series count (3.96x for 4) and its objects stay the same (one shard per array).
SERIES_MARGINAL = 0.51
OBJECTS_PER_RUN = 2  # dataset.json written, then marked complete


@dataclass(frozen=True)
class Sample:
    generator: str
    shape: tuple[int, int, int]  # z, y, x
    codec: str
    image_bytes: float  # per study, stored
    label_bytes: float
    objects: int  # per study
    part_fixed_bytes: float  # a manifest part: footer and schema
    row_bytes: float  # and per row
    render_s: float  # per study, one worker
    device: str  # cpu | gpu
    measured_on: str
    series: int = 1  # series per study where it was measured

    def with_series(self, n: int) -> Sample:
        """This sample for studies of `n` series (see SERIES_MARGINAL)."""
        if n == self.series:
            return self
        per_series = self.render_s / (1.0 + SERIES_MARGINAL * (self.series - 1))
        return replace(
            self,
            image_bytes=self.image_bytes * n / self.series,
            render_s=per_series * (1.0 + SERIES_MARGINAL * (n - 1)),
            series=n,
        )

    def scaled(self, shape: tuple[int, int, int]) -> Sample:
        factor = math.prod(shape) / math.prod(self.shape)
        return replace(
            self,
            shape=shape,
            image_bytes=self.image_bytes * factor,
            label_bytes=self.label_bytes * factor,
            render_s=self.render_s * factor,
        )


@dataclass(frozen=True)
class Plan:
    n_studies: int
    shard_size: int
    shards: int
    objects: int
    dataset_bytes: float
    catalog_parts_bytes: float
    catalog_compacted_bytes: float
    workers: int
    device: str
    studies_per_s: float
    hours: float
    put_per_s: float
    write_bytes_per_s: float
    read_get_per_study: int
    sample: Sample

    def rows(self) -> list[tuple[str, str]]:
        s = self.sample
        return [
            ("studies", f"{self.n_studies:,} in {self.shards:,} shards of {self.shard_size}"),
            ("per study", f"{(s.image_bytes + s.label_bytes) / 2**20:.2f} MiB in {s.objects} objects"),
            ("dataset", f"{_size(self.dataset_bytes)} in {self.objects:,} objects"),
            ("catalog", f"{_size(self.catalog_parts_bytes)} as parts, <= {_size(self.catalog_compacted_bytes)} merged"),
            ("workers", f"{self.workers} {'GPU' if self.device == 'gpu' else 'CPU'} workers"),
            ("throughput", f"{self.studies_per_s:.2f} studies/s ({self.studies_per_s * 3600:,.0f}/h)"),
            ("time", f"{self.hours:,.1f} h ({self.hours * self.workers:,.0f} {self.device.upper()}-hours)"),
            ("writes", f"{self.put_per_s:.1f} PUT/s, {self.write_bytes_per_s / 2**20:.1f} MiB/s, 0 GET while writing"),
            ("reading it back", f"{self.read_get_per_study} GET per study read whole (StudyCache fetch)"),
            ("measured", f"{s.generator} at {list(s.shape)} on {s.measured_on}"),
        ]

    def table(self) -> str:
        width = max(len(k) for k, _ in self.rows())
        return "\n".join(f"{k:<{width}}  {v}" for k, v in self.rows())

    def to_json(self) -> dict:
        data = asdict(self)
        data["sample"]["shape"] = list(self.sample.shape)
        return data


def estimate(config: GenerateConfig, sample: Sample, workers: int) -> Plan:
    d = config.dataset
    if workers < 1:
        raise ConfigError(f"--workers: must be at least 1, got {workers}")
    sample = sample.with_series(len(config.generator.series or ()) or 1)
    per_worker = (1.0 / sample.render_s) * (PIPELINE_EFFICIENCY if sample.device == "cpu" else 1.0)
    rate = per_worker * workers
    studies_bytes = d.n_studies * (sample.image_bytes + sample.label_bytes)
    parts_bytes = d.n_shards * sample.part_fixed_bytes + d.n_studies * sample.row_bytes
    puts_per_study = sample.objects + 1.0 / d.shard_size
    return Plan(
        n_studies=d.n_studies,
        shard_size=d.shard_size,
        shards=d.n_shards,
        objects=d.n_studies * sample.objects + d.n_shards + OBJECTS_PER_RUN,
        dataset_bytes=studies_bytes + parts_bytes,
        catalog_parts_bytes=parts_bytes,
        catalog_compacted_bytes=d.n_studies * sample.row_bytes,
        workers=workers,
        device=sample.device,
        studies_per_s=rate,
        hours=d.n_studies / rate / 3600.0,
        put_per_s=rate * puts_per_study,
        write_bytes_per_s=rate * (sample.image_bytes + sample.label_bytes + sample.row_bytes),
        read_get_per_study=sample.objects,
        sample=sample,
    )


def shipped() -> list[Sample]:
    """The measured samples shipped with medsynth (`pipeline/data/sizing.json`)."""
    raw = json.loads(resources.files("pipeline").joinpath("data/sizing.json").read_text())
    return [Sample(**{**s, "shape": tuple(s["shape"])}) for s in raw["samples"]]


def nearest(samples: list[Sample], generator: str, shape: tuple[int, int, int], codec: str) -> Sample:
    """The sample of `generator` closest in voxels to `shape` (same codec preferred), scaled to it."""
    mine = [s for s in samples if s.generator == generator and s.series == 1]  # `estimate` scales to series
    if not mine:
        raise ConfigError(f"generator.name: no measured sample of {generator!r}; run python -m jobs.plan --measure 3")
    same = [s for s in mine if s.codec == codec] or mine
    best = min(same, key=lambda s: abs(math.log(math.prod(s.shape) / math.prod(shape))))
    return best.scaled(shape)


def measure(config: GenerateConfig, n: int, where: str) -> Sample:
    """Render `n` studies of the configured generator here (CPU) and encode them as a worker would."""
    generator = build_generator(config)
    encoding = Encoding(config.storage.chunk, config.storage.codec, config.storage.level)
    series = config.generator.series or ()
    context = RowContext.of(generator, 0, "plan", series)
    seconds, images, labels, objects, rows = [], [], [], [], []
    for index in range(n):
        spec = make_spec(generator, config.dataset.seed, index)
        started = time.perf_counter()
        study = generator.render(spec, torch.device("cpu"))
        seconds.append(time.perf_counter() - started)
        admit_study(spec, study, generator.label_dict, series)
        encoded = encode_study(spec.study_id, study, generator.label_dict, encoding, {})
        images.append(stored_bytes(encoded, IMAGE_PATH))
        labels.append(stored_bytes(encoded, LABEL_PATH))
        objects.append(len(encoded))
        written = Written("x", images[-1], labels[-1], checksum(study.image, study.label), 0.0)
        rows.append(row(spec, study, written, seconds[-1], context))
    one = len(encode_part(rows[:1], generator.label_dict, context.extra, series=series))
    many = len(encode_part(rows, generator.label_dict, context.extra, series=series))
    per_row = (many - one) / (n - 1) if n > 1 else float(one)  # distinct rows: repeats would compress
    shape = tuple(int(v) for v in study.label.shape)
    return Sample(
        generator=generator.name,
        shape=shape,  # type: ignore[arg-type]
        codec=config.storage.codec,
        image_bytes=statistics.mean(images),
        label_bytes=statistics.mean(labels),
        objects=max(objects),
        part_fixed_bytes=max(one - per_row, 0.0),
        row_bytes=per_row,
        render_s=statistics.median(seconds[1:] if n > 2 else seconds),  # the first pays one-off setup
        device="cpu",
        measured_on=where,
        series=max(len(series), 1),
    )


def _size(n: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:.0f} B"
