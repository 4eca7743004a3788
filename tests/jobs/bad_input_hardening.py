"""Bad input of issue 28 (hardening, round 3): URIs that name one place plainly, secrets never
echoed, dataset.json edited into nonsense, folders of their own, selections that select,
checkpoints that exist, patches the UNet takes. Run by `test_bad_input.py` with the rest."""

from __future__ import annotations

from tests.conftest import FAKE_SECRET
from tests.jobs.bad_input_cases import Case, gen

HARDENING_CASES = [
    # A runaway query stops at its time limit.
    Case(
        "query timeout zero",
        "query",
        lambda ctx: [ctx["root"], "--timeout", "0"],
        "argument --timeout",
        setup="dataset",
    ),
    Case(
        "query that runs away",
        "query",
        lambda ctx: [ctx["root"], "len(list_filter(range(20000000), lambda x: x % 7 = 0)) > 0", "--timeout", "0.2"],
        "query: stopped after 0.2 s (--timeout)",
        setup="dataset",
    ),
    # Issue 28: URIs name one place plainly, and their secrets are never echoed.
    Case("uri with a newline", "generate", gen("storage.uri=/tmp/a\nb"), "storage.uri: holds the control character"),
    Case("uri with glob characters", "plan", lambda ctx: [f"storage.uri={ctx['root']}[1]"], "read as a file pattern"),
    Case(
        "options for a local root", "query", lambda ctx: [ctx["root"], "-o", "anon=true"], "means nothing for a local"
    ),
    Case(
        "masks with credentials",
        "plan",
        lambda ctx: ["generator.params.anatomy=masks", f"generator.params.masks=s3://AKIA:{FAKE_SECRET}@bkt/masks"],
        "generator.params.masks: s3://bkt/masks carries credentials",
        forbid=(FAKE_SECRET,),
    ),
    Case(
        "masks with a signed query",
        "plan",
        lambda ctx: [
            "generator.params.anatomy=masks",
            f"generator.params.masks=s3://bkt/m?X-Amz-Signature={FAKE_SECRET}",
        ],
        "generator.params.masks: holds '?'",
        forbid=(FAKE_SECRET,),
    ),
    Case(
        "masks on S3 without credentials",
        "plan",
        lambda ctx: [
            "generator.params.anatomy=masks",
            "generator.params.masks=s3://medsynth-test/masks",
            f"generator.params.masks_endpoint_url={ctx['endpoint']}",
        ],
        "generator.params.masks: cannot read s3://medsynth-test/masks"
        " (no credentials for s3://medsynth-test/masks (set AWS_ACCESS_KEY_ID",
        env_drop=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    ),
    Case(
        "masks behind an endpoint where nothing answers",
        "plan",
        lambda ctx: [
            "generator.params.anatomy=masks",
            "generator.params.masks=s3://medsynth-test/masks",
            "generator.params.masks_endpoint_url=http://127.0.0.1:1",
        ],
        "generator.params.masks_endpoint_url: nothing answers at http://127.0.0.1:1",
    ),
    Case("nested YAML in an override", "plan", lambda ctx: ["generator.params={sex:{F:1}}"], "cannot be parsed"),
    Case("100 brackets", "plan", lambda ctx: ["generator.params.sex=" + "[" * 100], "generator.params.sex: cannot be"),
    *(
        Case(f"dataset.json with {what}", "query", lambda ctx: [ctx["root"]], expect, setup=f"edited_json_{setup}")
        for what, setup, expect in (
            ("shard_size 0", "shard_size", "dataset.json is corrupt: shard_size must be a whole number"),
            ("an unknown column type", "column_type", "column 'habitus' has type 'complex128'"),
            ("a label renamed", "label", "has other columns than dataset.json declares"),
        )
    ),
    Case(
        "query a column twice",
        "query",
        lambda ctx: [ctx["root"], "--columns", "study_id,study_id"],
        "--columns: names 'study_id' twice",
        setup="dataset",
    ),
    # Issue 28: folders of their own, selections that select, checkpoints that exist, patches the UNet takes.
    *(
        Case(
            f"train {name}",
            "train",
            lambda ctx, a=args: [ctx["root"], "--classes", "liver", *a(ctx)],
            expect,
            setup="dataset",
        )
        for name, args, expect in (
            (
                "resume without a checkpoint",
                lambda ctx: ["--resume", "--out", ctx["out"]],
                "--resume: no checkpoint at",
            ),
            (
                "patch of 8",
                lambda ctx: ["--patch", "8,8,8", "--out", ctx["out"]],
                "--patch: each side must be a multiple",
            ),
            ("patch not a multiple", lambda ctx: ["--patch", "20,32,32", "--out", ctx["out"]], "--patch: each side"),
            ("out inside the dataset", lambda ctx: ["--out", ctx["root"] + "/runs"], "--out: "),
            ("out empty", lambda ctx: ["--out", " "], "--out: must name a folder"),
            (
                "where selects none",
                lambda ctx: ["--where", "index < 0", "--out", ctx["out"]],
                "select at least one study",
            ),
        )
    ),
    *(
        Case(
            f"export {name}",
            "export",
            lambda ctx, a=args: [ctx["root"], "--format", "nifti", *a(ctx)],
            expect,
            setup=setup,
        )
        for name, args, expect, setup in (
            ("out inside the dataset", lambda ctx: ["--out", ctx["root"] + "/nifti"], "inside the dataset", "dataset"),
            ("out empty", lambda ctx: ["--out", ""], "--out: must name a folder", "dataset"),
            ("into another export", lambda ctx: ["--out", ctx["other_out"]], "already holds other files", "other_out"),
            (
                "where false",
                lambda ctx: ["--out", ctx["out"], "--where", "false"],
                "--where: selects no studies",
                "dataset",
            ),
        )
    ),
    Case(
        "export stops at a damaged study, leaves nothing",
        "export",
        lambda ctx: [ctx["root"], "--format", "nifti", "--out", ctx["out"], "--no-progress"],
        "s000000001",
        setup="corrupt_chunk",
    ),
    Case(
        "preview where selects none",
        "preview",
        lambda ctx: [ctx["root"], "--out", ctx["out"], "--where", "index < 0"],
        "--where: selects no studies",
        setup="dataset",
    ),
    Case(
        "preview out inside the dataset",
        "preview",
        lambda ctx: [ctx["root"], "--out", ctx["root"] + "/png"],
        "inside the dataset",
        setup="dataset",
    ),
]
