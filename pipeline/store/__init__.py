"""The store room: where a dataset's objects live and how they are written and read.

`storage` is one dataset root on any fsspec filesystem (URI, credentials, retries, atomic writes);
`layout` names every object under it; `omezarr` encodes and decodes one study's OME-Zarr group;
`dataset_json` is the root's `dataset.json`.
"""
