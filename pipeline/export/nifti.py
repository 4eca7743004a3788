"""NIfTI-1 export: `images/<study_id>.nii.gz` and `labels/<study_id>.nii.gz` per study, plus a
`labels.json` sidecar (the dictionary) and a MONAI datalist (`datalist.json`, Decathlon style:
`monai.data.load_decathlon_datalist(path, data_list_key="training")`).

A study of several series writes one image per series, `images/<study_id>_<series>.nii.gz`, and
the one label file; its datalist entry has one key per series (`"arterial": ...`) and `image`,
the list of them in order, which MONAI's `LoadImaged` stacks as channels.

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

    def __init__(self, out: Path, labels: LabelDict, dataset: str, series: tuple[str, ...] = ()) -> None:
        self.out = out
        self.series = series
        self.labels = labels
        self.dataset = dataset
        self.entries: list[dict[str, Any]] = []
        for folder in ("images", "labels"):
            (out / folder).mkdir(parents=True, exist_ok=True)

    def write(self, study: ExportStudy) -> list[Path]:
        views = study.views()
        images = [self.out / "images" / f"{study.study_id}{'_' + v.name if v.name else ''}{self.suffix}" for v in views]
        label = self.out / "labels" / f"{study.study_id}{self.suffix}"
        for view, path in zip(views, images, strict=True):
            image = view.image.astype(np.float32) if view.image.dtype == np.float16 else view.image
            self._save(study, image, path, f"image {view.name}" if view.name else "image")
        self._save(study, study.label, label, "label")
        entry: dict[str, Any] = {"image": f"images/{images[0].name}", "label": f"labels/{label.name}"}
        if study.series:
            entry = {
                "image": [f"images/{p.name}" for p in images],
                **{v.name: f"images/{p.name}" for v, p in zip(views, images, strict=True) if v.name},
                "label": entry["label"],
            }
        self.entries.append({**entry, "study_id": study.study_id})
        return [*images, label]

    def _save(self, study: ExportStudy, array: np.ndarray, path: Path, intent: str) -> None:
        affine = study.ras_affine()
        volume = nib.Nifti1Image(np.transpose(array, (2, 1, 0)), affine)
        volume.set_qform(affine, code=SCANNER)
        volume.set_sform(affine, code=SCANNER)
        volume.header.set_xyzt_units(xyz="mm")
        volume.header["descrip"] = f"medsynth synthetic {study.modality} {intent} {study.study_id}"[:79]
        if intent == "label":
            volume.header.set_intent("label")
        nib.save(volume, path)

    def finish(self) -> list[Path]:
        names = {"0": "background", **{str(lb.value): lb.name for lb in self.labels}}
        sidecar = {"name": self.labels.name, "labels": self.labels.to_json()}
        datalist: dict[str, Any] = {"name": self.dataset, "labels": names}
        if self.series:
            datalist["series"] = list(self.series)
        datalist.update(numTraining=len(self.entries), training=self.entries)
        written = []
        for name, content in (("labels.json", sidecar), ("datalist.json", datalist)):
            path = self.out / name
            path.write_text(json.dumps(content, indent=1) + "\n")
            written.append(path)
        return written
