"""What an MR study records of its acquisition, as exporters read it back: the catalog columns, one
series' columns from the study's params, and the DICOM MR attributes of a row.

body_mr and brain_mr declare it as their `acquisition` (`models.base.AcquisitionRecord`), so the
export never imports MR physics: it asks the dataset's generator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.mr.sequence import COLUMNS, GAMMA_MHZ_PER_T, GD, PROTOCOLS, Sequence, columns

# Per sequence family: Scanning Sequence, Sequence Variant and MR Acquisition Type (PS3.3 C.8.3.1
# defined terms), as scanners write them (a Siemens MPRAGE: GR and IR, SK SP MP). Scan Options
# carries FS (fat saturation) only: the "IR" scanners also put there is not a defined term.
MR_TERMS: dict[str, tuple[list[str], list[str], str]] = {
    "SE": (["SE"], ["SK"], "2D"),
    "GRE": (["GR"], ["SP"], "2D"),
    "IR": (["SE", "IR"], ["SK"], "2D"),
    "MPRAGE": (["GR", "IR"], ["SK", "SP", "MP"], "3D"),
}


class MRRecord:
    """An MR generator's acquisition record (`models.base.AcquisitionRecord`)."""

    columns: tuple[str, ...] = tuple(COLUMNS)

    def series_columns(self, recorded: Mapping[str, Any]) -> dict[str, Any]:
        """One series' sequence, timings and SNR (an entry of params' `series_acquisitions`), and
        its contrast: the gadolinium phase, or non_contrast."""
        seq = Sequence.from_json(dict(recorded["sequence"]))
        return {**columns(seq, recorded["snr"]), "contrast": seq.gd_phase or "non_contrast"}

    def dicom(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The DICOM MR attributes (keyword -> value) of the sequence `row` records; `{}` for a row
        with none (brain_mr's contrast presets: no physical sequence behind them)."""
        name = row.get("sequence")
        if not name:
            return {}
        protocol = PROTOCOLS[str(name).removesuffix(GD)]
        scanning, variant, kind = MR_TERMS[protocol.family]
        found: dict[str, Any] = {
            "ScanningSequence": scanning,
            "SequenceVariant": variant,
            "ScanOptions": "FS" if protocol.fat_sat else "",
            "MRAcquisitionType": "3D" if protocol.family == "GRE" and protocol.fat_sat else kind,
            "SequenceName": str(name),
            "RepetitionTime": row["tr_ms"],
            "EchoTime": row["te_ms"],
            "FlipAngle": row["flip_deg"],
            "MagneticFieldStrength": row["field_strength_t"],
            "ImagingFrequency": GAMMA_MHZ_PER_T * float(row["field_strength_t"]),
            "ImagedNucleus": "1H",
        }
        if row.get("ti_ms") is not None:
            found["InversionTime"] = row["ti_ms"]
        if str(name).endswith(GD):  # Contrast/Bolus module (C.7.6.4): required when contrast was used
            found |= {"ContrastBolusAgent": "GADOBUTROL", "ContrastBolusRoute": "IV"}
        return found


MR_RECORD = MRRecord()
