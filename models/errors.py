"""Typed errors shared by generators and the factory.

`MedsynthError` is the root every layer raises from, so entry points can turn any of them into
one clear line and exit code 2. Generators live below the pipeline and may not import it, which
is why the root and the generator errors live here and `pipeline.errors` builds on them.
"""

from __future__ import annotations


class MedsynthError(Exception):
    """Root of every error medsynth raises on purpose."""


class GeneratorError(MedsynthError):
    """A generator could not be built or could not render a study."""


class ParamError(GeneratorError, ValueError):
    """A generator option is out of range; `field` is its dotted name below `generator`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"generator.{field}: {message}")
        self.field = field


def first_line(exc: BaseException) -> str:
    """What a foreign library's error says, as one line for ours: its message's first line, or
    its type's name when it says nothing."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
