"""Bad maisi_ct decode input, and the batch setting that is gone: one line and exit 2 before any work."""

from __future__ import annotations

from tests.jobs.bad_input_cases import MAISI, Case, gen

DECODE_CASES = [
    Case(f"maisi {name}", "generate", gen(*MAISI, override), expect)
    for name, override, expect in (
        # Removed after it never engaged on a GPU (docs/generators/maisi_ct.md): refused by name.
        ("batch", "generator.params.batch=4", "generator.params.batch: unknown parameter"),
        ("decode memory inf", "generator.params.decode_memory_gib=.inf", "generator.params.decode_memory_gib"),
        ("decode memory tiny", "generator.params.decode_memory_gib=1", "generator.params.decode_memory_gib: must lie"),
        ("decode memory NaN", "generator.params.decode_memory_gib=.nan", "generator.params.decode_memory_gib"),
    )
]
