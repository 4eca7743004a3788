"""The config room: `job` is the typed, frozen configuration of a generation job; `fields` the
typed fields every frozen config dataclass of the project (job, stream, evaluate) is checked by.
"""
