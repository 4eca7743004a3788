"""Streaming a dataset into training: `StudyStream` (PyTorch), `StreamLoader`, `ray_dataset`."""

from pipeline.stream.config import StreamConfig
from pipeline.stream.dataset import StreamLoader, StudyStream
from pipeline.stream.raydata import ray_dataset

__all__ = ["StreamConfig", "StreamLoader", "StudyStream", "ray_dataset"]
