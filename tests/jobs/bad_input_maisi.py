"""Bad maisi_ct batching and decode input (issue 18): one line and exit 2 before any work."""

from __future__ import annotations

from tests.jobs.bad_input_cases import MAISI, Case, gen

BATCH_CASES = [
    Case(f"maisi {name}", "generate", gen(*MAISI, override), expect)
    for name, override, expect in (
        ("batch zero", "generator.params.batch=0", "generator.params.batch: must lie"),
        ("batch huge", "generator.params.batch=1e9", "generator.params.batch: must lie"),
        ("batch fraction", "generator.params.batch=2.5", "generator.params.batch: must be a whole"),
        ("batch text", "generator.params.batch=four", "generator.params.batch"),
        ("batch NaN", "generator.params.batch=.nan", "generator.params.batch"),
        ("decode memory inf", "generator.params.decode_memory_gib=.inf", "generator.params.decode_memory_gib"),
        ("decode memory tiny", "generator.params.decode_memory_gib=1", "generator.params.decode_memory_gib: must lie"),
    )
]
