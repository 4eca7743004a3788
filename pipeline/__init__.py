"""The medsynth factory: config, planning, Ray runner, storage, catalog and streaming."""
