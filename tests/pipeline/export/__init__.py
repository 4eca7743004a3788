from pipeline.store.omezarr import read_arrays


def stored(cat, study_id: str):
    """(image, label, spacing_mm) of a study as the OME-Zarr holds it: what every export must match."""
    row = cat.query(f"study_id = '{study_id}'", columns=["image_path", "spacing_mm"]).to_pylist()[0]
    image, label = read_arrays(cat.store.zarr_store(row["image_path"].removesuffix("/0")))
    return image, label, tuple(row["spacing_mm"])
