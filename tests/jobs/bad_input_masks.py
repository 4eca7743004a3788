"""Bad masks as anatomy (issue 15): every bad folder or file, one line and exit 2 before any work.
`test_bad_input.make_masks` prepares the folder each case names."""

from __future__ import annotations

from collections.abc import Callable

from tests.jobs.bad_input_cases import Case, gen


def masks(*overrides: str) -> Callable[[dict], list[str]]:
    """phantom_ct on the masks folder `test_bad_input.make_masks` prepares."""
    return lambda ctx: gen("generator.params.anatomy=masks", f"generator.params.masks={ctx['masks']}", *overrides)(ctx)


MASK_CASES = [
    Case(f"masks {name}", "generate", masks(*extra), expect, setup=f"masks_{kind}")
    for name, kind, extra, expect in (
        ("empty folder", "empty", (), "generator.params.masks: "),
        ("4-D", "4d", (), "a.nii.gz must be a 3-D label map"),
        ("unreadable", "unreadable", (), "a.nii.gz is not a readable NIfTI file"),
        ("fractions", "fraction", (), "a.nii.gz holds values that are not whole numbers"),
        ("unmapped value", "unmapped", (), "a.nii.gz holds the value 250"),
        ("unknown vocabulary", "ok", ("generator.params.vocabulary=totalseg",), "params.vocabulary: must be"),
        ("grid past the mask", "ok", ("generator.spacing_mm=[5,2,2]",), "do not fit in a.nii.gz"),
        ("labelling nothing", "zeros", (), "a.nii.gz labels no voxel"),
        ("of absurd voxels", "huge_voxels", (), "a.nii.gz has voxels of (1e+06, 1e+06, 1e+06) mm"),
    )
]
