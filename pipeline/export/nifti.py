"""NIfTI-1 export: `images/<study_id>.nii.gz` and `labels/<study_id>.nii.gz` per study, plus a
`labels.json` sidecar (the dictionary) and a MONAI datalist (`datalist.json`, Decathlon style:
`monai.data.load_decathlon_datalist(path, data_list_key="training")`).

Arrays are written x-y-z with the RAS+ affine that maps them to the same patient frame as the
OME-Zarr (spacing on the diagonal, qform and sform both set, units mm). CT stays int16 HU, MR its
stored integers; float16, which NIfTI-1 has no code for, is widened to float32 exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from models import LabelDict
from pipeline.export.volume import ExportStudy

SCANNER = 1  # NIfTI xform code: scanner-based anatomical coordinates, the frame DICOM export uses too


class NiftiWriter:
    suffix = ".nii.gz"

    def __init__(self, out: Path, labels: LabelDict, dataset: str) -> None:
        self.out = out
        self.labels = labels
        self.dataset = dataset
        self.entries: list[dict[str, Any]] = []
        for folder in ("images", "labels"):
            (out / folder).mkdir(parents=True, exist_ok=True)

    def write(self, study: ExportStudy) -> list[Path]:
        affine = study.ras_affine()
        image = study.image.astype(np.float32) if study.image.dtype == np.float16 else study.image
        paths = [
            self.out / "images" / f"{study.study_id}{self.suffix}",
            self.out / "labels" / f"{study.study_id}{self.suffix}",
        ]
        for array, path, intent in ((image, paths[0], "image"), (study.label, paths[1], "label")):
            volume = nib.Nifti1Image(np.transpose(array, (2, 1, 0)), affine)
            volume.set_qform(affine, code=SCANNER)
            volume.set_sform(affine, code=SCANNER)
            volume.header.set_xyzt_units(xyz="mm")
            volume.header["descrip"] = f"medsynth synthetic {study.modality} {intent} {study.study_id}"[:79]
            if intent == "label":
                volume.header.set_intent("label")
            nib.save(volume, path)
        self.entries.append(
            {"image": f"images/{paths[0].name}", "label": f"labels/{paths[1].name}", "study_id": study.study_id}
        )
        return paths

    def finish(self) -> list[Path]:
        names = {"0": "background", **{str(lb.value): lb.name for lb in self.labels}}
        sidecar = {"name": self.labels.name, "labels": self.labels.to_json()}
        datalist = {"name": self.dataset, "labels": names, "numTraining": len(self.entries), "training": self.entries}
        written = []
        for name, content in (("labels.json", sidecar), ("datalist.json", datalist)):
            path = self.out / name
            path.write_text(json.dumps(content, indent=1) + "\n")
            written.append(path)
        return written
