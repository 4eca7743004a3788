"""The table of bad input that `test_bad_input.py` runs: every job, every option, and the classes
of value each stands for (wrong kinds, NaN and infinities, absurd sizes, secrets, SQL that tries to
leave its clause, fail-fast checks, catalog files of another dataset)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.conftest import FAKE_SECRET

SAME = ("dataset.name=test", "storage.chunk=[32,32,32]")  # with SMALL: the config `source` was made with
BRAIN = ("generator.name=brain_mr", "generator.shape=[44,52,44]")
MAISI = ("generator.name=maisi_ct", "generator.shape=[32,256,256]", "generator.params.network=tiny")
SMALL = ["dataset.n_studies=4", "dataset.shard_size=2", "generator.shape=[32,32,32]", "ray.num_workers=1"]


@dataclass(frozen=True)
class Case:
    name: str
    job: str  # generate | query | verify | export | report | compact | plan | preview | train | view
    args: Callable[[dict], list[str]]  # built from the fixtures in `ctx`
    expect: str  # text the single error line must contain
    code: int = 2
    setup: str = ""  # what to prepare first: "", "dataset", "truncated_part", "corrupt_chunk", ...
    env_drop: tuple[str, ...] = field(default=())
    forbid: tuple[str, ...] = ()  # text that must appear in no output (a secret)


def gen(*overrides: str) -> Callable[[dict], list[str]]:
    return lambda ctx: [*SMALL, f"storage.uri={ctx['root']}", *overrides, "--no-progress"]


def on_s3(*overrides: str) -> Callable[[dict], list[str]]:
    return lambda ctx: [*SMALL, f"storage.options.endpoint_url={ctx['endpoint']}", *overrides, "--no-progress"]


CASES = [
    Case("n_studies zero", "generate", gen("dataset.n_studies=0"), "dataset.n_studies: must be between 1"),
    Case("n_studies negative", "generate", gen("dataset.n_studies=-1"), "dataset.n_studies"),
    Case("n_studies not a number", "generate", gen("dataset.n_studies=abc"), "dataset.n_studies"),
    Case("shard_size zero", "generate", gen("dataset.shard_size=0"), "dataset.shard_size"),
    Case("unknown generator", "generate", gen("generator.name=nope"), "generator.name: unknown generator 'nope'"),
    Case("unknown config key", "generate", gen("dataset.colour=red"), "dataset.colour: unknown key"),
    Case("unknown generator param", "generate", gen("generator.params.colour=red"), "generator.params.colour"),
    Case(
        "unknown body region",
        "generate",
        gen("generator.params.body_region=knee"),
        "generator.params.body_region: must be one of",
    ),
    Case("shape it cannot make", "generate", gen("generator.shape=[8,8,8]"), "generator.shape: phantom_ct makes"),
    Case("bad spacing", "generate", gen("generator.spacing_mm=[0,1,1]"), "generator.spacing_mm"),
    Case("unknown codec", "generate", gen("storage.codec=lzma"), "storage.codec"),
    Case("level too high", "generate", gen("storage.level=30"), "storage.level"),
    Case("malformed override", "generate", gen("dataset.n_studies"), "key=value"),
    Case("missing --config", "generate", lambda ctx: ["--config", "/no/such.yaml"], "--config: no such file"),
    Case("malformed URI", "generate", on_s3("storage.uri=s3://"), "storage.uri: s3:// names no bucket"),
    Case("unknown scheme", "generate", gen("storage.uri=nosuch://bucket/x"), "storage.uri: unknown scheme 'nosuch'"),
    Case("URI with credentials", "generate", on_s3("storage.uri=s3://AKIA:pw@bkt/x"), "carries credentials"),
    Case("missing bucket", "generate", on_s3("storage.uri=s3://no-such-bucket/ds"), "its bucket does not exist"),
    Case(
        "missing credentials",
        "generate",
        on_s3("storage.uri=s3://medsynth-test/ds"),
        "storage.uri: no credentials",
        env_drop=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    ),
    Case(
        "unwritable folder", "generate", lambda ctx: [*gen()(ctx)[:-2], f"storage.uri={ctx['blocked']}"], "not writable"
    ),
    Case("another config, same root", "generate", gen("dataset.seed=5"), "different config", setup="dataset"),
    Case("corrupt dataset.json", "generate", gen(), "dataset.json is corrupt", setup="corrupt_json"),
    Case("query syntax error", "query", lambda ctx: [ctx["root"], "liver_ml > AND 1"], "syntax error", setup="dataset"),
    Case("query unknown column", "query", lambda ctx: [ctx["root"], "spleen_l > 1"], "unknown column", setup="dataset"),
    Case(
        "query two statements", "query", lambda ctx: [ctx["root"], "1=1; SELECT 2"], "one expression", setup="dataset"
    ),
    Case("query, no dataset", "query", lambda ctx: [ctx["root"]], "no medsynth dataset"),
    Case("truncated part", "query", lambda ctx: [ctx["root"]], "catalog part cannot be read", setup="truncated_part"),
    Case("verify, truncated part", "verify", lambda ctx: [ctx["root"]], "cannot be read", setup="truncated_part"),
    Case("corrupted chunk bytes", "verify", lambda ctx: [ctx["root"]], "s000000001", code=1, setup="corrupt_chunk"),
    Case("maisi size", "generate", gen(*MAISI, "generator.shape=[48,256,256]"), "generator.shape: maisi_ct needs z"),
    Case(
        "maisi weights folder missing",
        "generate",
        gen(*MAISI, "generator.params.weights_dir=/no/such/weights"),
        "generator.params.weights_dir: /no/such/weights is not a folder",
    ),
    Case(
        "maisi weights file wrong",
        "generate",
        lambda ctx: gen(*MAISI, f"generator.params.weights_dir={ctx['weights']}")(ctx),
        "autoencoder_v1.pt is not a checkpoint",
        setup="bad_weights",
    ),
    Case(
        "export bad where",
        "export",
        lambda ctx: [*out(ctx, "nifti"), "--where", "liver_ml >"],
        "syntax error",
        setup="dataset",
    ),
    Case(
        "export unknown column",
        "export",
        lambda ctx: [*out(ctx, "dicom"), "--where", "livr_ml > 1"],
        "livr_ml",
        setup="dataset",
    ),
    Case(
        "export bad format",
        "export",
        lambda ctx: out(ctx, "png"),
        "--format: must be one of nifti, dicom",
        setup="dataset",
    ),
    Case(
        "export unwritable out",
        "export",
        lambda ctx: [ctx["root"], "--format", "nifti", "--out", ctx["blocked"]],
        "--out: cannot write",
        setup="dataset",
    ),
    Case(
        "export bad segmentation",
        "export",
        lambda ctx: [*out(ctx, "dicom"), "--segmentation", "fractional"],
        "--segmentation: must be one of binary, labelmap",
        setup="dataset",
    ),
    Case(
        "export bad compression",
        "export",
        lambda ctx: [*out(ctx, "dicom"), "--compression", "zip"],
        "--compression: must be one of none, jpeg-ls",
        setup="dataset",
    ),
    Case("export, no dataset", "export", lambda ctx: out(ctx, "nifti"), "no medsynth dataset"),
    Case(
        "report bad where",
        "report",
        lambda ctx: [ctx["root"], "--out", ctx["html"], "--where", "1 +"],
        "syntax error",
        setup="dataset",
    ),
    Case(
        "report matches nothing",
        "report",
        lambda ctx: [ctx["root"], "--out", ctx["html"], "--where", "index < 0"],
        "no committed studies",
        setup="dataset",
    ),
    Case(
        "report unwritable out",
        "report",
        lambda ctx: [ctx["root"], "--out", ctx["blocked"] + "/r.html"],
        "--out: cannot write",
        setup="dataset",
    ),
    # Numbers that are not numbers, at parse time, for every section and generator (issue 13, 3).
    Case("noise NaN (yaml)", "generate", gen("generator.params.noise_hu=[.nan,.nan]"), "generator.params.noise_hu[0]"),
    Case("noise NaN (text)", "generate", gen("generator.params.noise_hu=[nan,nan]"), "generator.params.noise_hu"),
    Case("qc tolerance NaN", "generate", gen("generator.params.qc_tolerance_hu=nan"), "generator.params.qc_tolerance"),
    Case("qc tolerance inf", "generate", gen("generator.params.qc_tolerance_hu=.inf"), "generator.params.qc_tolerance"),
    Case("age NaN", "generate", gen("generator.params.age=nan"), "generator.params.age"),
    Case("age bool", "generate", gen("generator.params.age=true"), "generator.params.age"),
    Case(
        "brain flip_rate NaN", "generate", gen(*BRAIN, "generator.params.flip_rate=nan"), "generator.params.flip_rate"
    ),
    Case("brain resolution NaN", "generate", gen(*BRAIN, "generator.params.resolution_mm=[nan,4]"), "resolution_mm"),
    Case("brain rotation NaN", "generate", gen(*BRAIN, "generator.params.rotation_deg=.nan"), "rotation_deg"),
    Case("maisi tolerance NaN", "generate", gen(*MAISI, "generator.params.qc_tolerance_hu=nan"), "qc_tolerance_hu"),
    Case("gpus NaN", "generate", gen("ray.gpus_per_worker=nan"), "ray.gpus_per_worker: must be a number"),
    Case("cpus inf", "generate", gen("ray.cpus_per_worker=.inf"), "ray.cpus_per_worker: must be a finite number"),
    Case("cpus huge", "generate", gen("ray.cpus_per_worker=1e30"), "ray.cpus_per_worker: must be within"),
    Case("spacing NaN", "generate", gen("generator.spacing_mm=[.nan,1,1]"), "generator.spacing_mm[0]"),
    Case("shape fraction", "generate", gen("generator.shape=[32.5,32,32]"), "generator.shape[0]: must be a whole"),
    Case("shape absurd", "generate", gen("generator.shape=[100000,100000,100000]"), "generator.shape: at most"),
    Case("n_studies fraction", "generate", gen("dataset.n_studies=2.5"), "dataset.n_studies: must be a whole"),
    Case("seed huge", "generate", gen("dataset.seed=1e30"), "dataset.seed"),
    Case("writer threads huge", "generate", gen("ray.writer_threads=100000"), "ray.writer_threads"),
    Case("chunk absurd", "generate", gen("storage.chunk=[1,1,100000]"), "storage.chunk"),
    Case("level NaN", "generate", gen("storage.level=.nan"), "storage.level: must be a whole number"),
    # Wrong kinds of values (issue 13, 7).
    Case("params a list", "generate", gen("generator.params=[1,2]"), "generator.params: not the kind"),
    Case("options a list", "generate", gen("storage.options=[1]"), "storage.options: not the kind"),
    Case("section a number", "generate", gen("dataset=5"), "dataset: must be a mapping"),
    Case("name a list", "generate", gen("dataset.name=[1]"), "dataset.name: must be a string"),
    Case("address a list", "generate", gen("ray.address=[1]"), "ray.address: must be a string"),
    Case("count a bool", "generate", gen("dataset.shard_size=true"), "dataset.shard_size: must be a whole number"),
    Case("no such home", "generate", gen("storage.uri=~nosuchuser/x"), "storage.uri: '~nosuchuser/x' cannot be"),
    Case("memory store", "generate", gen("storage.uri=memory://x/y"), "storage.uri: memory:// cannot hold a dataset"),
    Case("read-only store", "generate", gen("storage.uri=https://example.org/ds"), "https:// cannot hold"),
    Case("not a config", "generate", lambda ctx: ["--config", ctx["passwd"]], "is not a medsynth config"),
    Case("unknown option", "generate", gen("--nosuch"), "unrecognized arguments: --nosuch"),
    # The environment is not read, and a secret never printed (issue 13, 4).
    Case(
        "env interpolation",
        "generate",
        gen("dataset.name=${oc.env:AWS_SECRET_ACCESS_KEY}"),
        "dataset.name: interpolations",
        forbid=(FAKE_SECRET,),
    ),
    Case(
        "resolved secret in a bad value",
        "generate",
        gen("dataset.seed=${oc.env:AWS_SECRET_ACCESS_KEY}", "--resolve-interpolations"),
        "dataset.seed: invalid value",
        forbid=(FAKE_SECRET,),
    ),
    # Fail fast, before anything is written (issue 13, 6).
    Case("no node fits a worker", "generate", gen("ray.cpus_per_worker=1000"), "no worker could ever start"),
    Case("no GPU on the cluster", "generate", gen("ray.gpus_per_worker=1"), "the cluster has no GPU"),
    Case(
        "endpoint refuses",
        "generate",
        on_s3("storage.uri=s3://medsynth-test/ds", "storage.options.endpoint_url=http://127.0.0.1:1"),
        "nothing answers",
    ),
    Case(
        "endpoint silent",
        "generate",
        lambda ctx: on_s3("storage.uri=s3://medsynth-test/ds", f"storage.options.endpoint_url={ctx['silent']}")(ctx),
        "no answer within",
    ),
    # Catalog SQL: one expression, nothing outside the catalog (issue 13, 5), no tracebacks (7).
    Case(
        "query union",
        "query",
        lambda ctx: [ctx["root"], "false UNION ALL SELECT * FROM catalog"],
        "one expression",
        setup="dataset",
    ),
    Case(
        "query subquery",
        "query",
        lambda ctx: [ctx["root"], "(SELECT count(*) FROM catalog) > 0"],
        "subquery",
        setup="dataset",
    ),
    Case(
        "query getenv",
        "query",
        lambda ctx: [ctx["root"], "getenv('HOME') IS NULL"],
        "getenv() is not allowed",
        setup="dataset",
    ),
    Case("query order by", "query", lambda ctx: [ctx["root"], "true ORDER BY 1"], "one expression", setup="dataset"),
    Case(
        "aggregate other table",
        "query",
        lambda ctx: [ctx["root"], "--aggregate", "* FROM duckdb_settings() --"],
        "--aggregate: must be one expression; it adds another table",
        setup="dataset",
    ),
    Case(
        "aggregate reads a file",
        "query",
        lambda ctx: [ctx["root"], "--aggregate", "(SELECT content FROM read_text('.tmp/secret.txt')) AS s"],
        "a subquery is not allowed",
        setup="dataset",
    ),
    Case(
        "aggregate names a group",
        "query",
        lambda ctx: [ctx["root"], "--aggregate", "count(*) AS sex", "--group-by", "sex"],
        "two columns named 'sex'",
        setup="dataset",
    ),
    Case(
        "query limit negative", "query", lambda ctx: [ctx["root"], "--limit", "-1"], "argument --limit", setup="dataset"
    ),
    Case("query limit text", "query", lambda ctx: [ctx["root"], "--limit", "ten"], "argument --limit", setup="dataset"),
    Case(
        "query columns unknown",
        "query",
        lambda ctx: [ctx["root"], "--columns", "nope"],
        "unknown column",
        setup="dataset",
    ),
    Case(
        "query unknown option",
        "query",
        lambda ctx: [ctx["root"], "--nosuch"],
        "unrecognized arguments",
        setup="dataset",
    ),
    Case(
        "verify threads zero",
        "verify",
        lambda ctx: [ctx["root"], "--threads", "0"],
        "argument --threads",
        setup="dataset",
    ),
    Case(
        "verify threads NaN",
        "verify",
        lambda ctx: [ctx["root"], "--threads", "nan"],
        "argument --threads",
        setup="dataset",
    ),
    Case(
        "export limit text",
        "export",
        lambda ctx: [*out(ctx, "nifti"), "--limit", "x"],
        "argument --limit",
        setup="dataset",
    ),
    Case("export no format", "export", lambda ctx: [ctx["root"], "--out", ctx["out"]], "--format", setup="dataset"),
    Case(
        "report previews negative",
        "report",
        lambda ctx: [ctx["root"], "--out", ctx["html"], "--previews", "-1"],
        "argument --previews",
        setup="dataset",
    ),
    Case(
        "compact rows zero",
        "compact",
        lambda ctx: [ctx["root"], "--rows-per-file", "0"],
        "argument --rows-per-file",
        setup="dataset",
    ),
    Case(
        "plan workers zero", "plan", lambda ctx: [f"storage.uri={ctx['root']}", "--workers", "0"], "argument --workers"
    ),
    Case(
        "plan NaN", "plan", lambda ctx: [f"storage.uri={ctx['root']}", "ray.cpus_per_worker=nan"], "ray.cpus_per_worker"
    ),
    Case(
        "preview n zero",
        "preview",
        lambda ctx: [ctx["root"], "--out", ctx["out"], "--n", "0"],
        "argument --n",
        setup="dataset",
    ),
    Case(
        "train patch text",
        "train",
        lambda ctx: [ctx["root"], "--classes", "liver", "--patch", "a,b,c"],
        "argument --patch",
        setup="dataset",
    ),
    Case(
        "train lr NaN",
        "train",
        lambda ctx: [ctx["root"], "--classes", "liver", "--lr", "nan"],
        "argument --lr",
        setup="dataset",
    ),
    Case(
        "train unknown class",
        "train",
        lambda ctx: [ctx["root"], "--classes", "nosuchorgan", "--out", ctx["out"]],
        "classes: no label 'nosuchorgan'",
        setup="dataset",
    ),
    *(
        Case(f"view {name}", "view", lambda ctx, a=args: [ctx["root"], *a], expect, setup=setup)
        for name, args, expect, setup in (
            ("unknown study", ["s999999999"], "STUDY_ID: no study", "dataset"),
            ("quote in study", ["x' OR 1=1"], "STUDY_ID: no study", "dataset"),
            ("empty study", [" "], "STUDY_ID: must be a study id", "dataset"),
            ("no dataset", ["s000000000"], "no medsynth dataset here", ""),
            ("port past the last", ["s000000000", "--port", "65535"], "argument --port", "dataset"),
            ("direct on a folder", ["s000000000", "--direct"], "--direct: ", "dataset"),
        )
    ),
    # One dataset root, one config (issue 13, 2).
    Case(
        "dataset.json deleted", "generate", gen("dataset.seed=1"), "no dataset.json (was it deleted?)", setup="no_json"
    ),
    Case("foreign part", "generate", gen(*SAME), "belongs to another dataset", setup="foreign_part"),
    Case(
        "part under another shard",
        "generate",
        gen(*SAME),
        "is shard 0's part under the name of shard 1",
        setup="renamed_part",
    ),
    Case("query foreign part", "query", lambda ctx: [ctx["root"]], "belongs to another dataset", setup="foreign_part"),
    Case(
        "verify foreign part",
        "verify",
        lambda ctx: [ctx["root"]],
        "belongs to another dataset",
        code=1,
        setup="foreign_part",
    ),
    Case("repair foreign part", "verify", lambda ctx: [ctx["root"], "--repair"], "--repair: ", setup="foreign_part"),
]


def out(ctx: dict, fmt: str) -> list[str]:
    return [ctx["root"], "--format", fmt, "--out", ctx["out"]]
