"""Bad series input (issue 17): `generator.series` and the series options, one line and exit 2
before any work, naming the entry."""

from __future__ import annotations

from tests.jobs.bad_input_cases import Case, gen

FOUR = "generator.series=[non_contrast,arterial,portal_venous,delayed]"
NINE = "generator.series=[" + ",".join(f"s{k}" for k in range(9)) + "]"

SERIES_CASES = [
    Case(f"series {name}", "generate", gen(*overrides), expect)
    for name, overrides, expect in (
        ("unknown phase", ("generator.series=[arterial,venous]",), "generator.series[1]: phantom_ct knows the series"),
        ("empty", ("generator.series=[]",), "generator.series: must list 1 to 8 series"),
        ("not a list", ("generator.series=arterial",), "generator.series: must be a list"),
        ("too many", (NINE,), "generator.series: must list 1 to 8 series"),
        ("not a name", ("generator.series=['art erial']",), "generator.series[0]: must be a letter"),
        ("a number", ("generator.series=[1]",), "generator.series[0]: must be a letter"),
        (
            "twice in two cases",
            ("generator.name=body_mr", "generator.series=[T1w,t1w]"),
            "generator.series: lists 't1w' twice",
        ),
        (
            "brain sequence on the body",
            ("generator.name=body_mr", "generator.series=[FLAIR]"),
            "generator.series[0]: body_mr knows the series",
        ),
        ("and a contrast", (FOUR, "generator.params.contrast=arterial"), "generator.params.contrast: generator.series"),
        (
            "misregistration alone",
            ("generator.params.misregistration_mm=2",),
            "generator.params.misregistration_mm: applies to several series",
        ),
        (
            "misregistration NaN",
            (FOUR, "generator.params.misregistration_mm=nan"),
            "generator.params.misregistration_mm: must be a number, got 'nan'",
        ),
        (
            "misregistration absurd",
            (FOUR, "generator.params.misregistration_mm=1e9"),
            "generator.params.misregistration_mm: must lie within",
        ),
    )
]
