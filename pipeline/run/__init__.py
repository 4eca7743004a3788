"""The run room: how a generation job turns a config into committed shards.

`planning` picks the shards still to make, `sizing` says how big and how long before anything
runs, `runner` is the Ray driver, `worker` renders, writes and commits one shard, and `verify`
checks a dataset against its catalog and repairs what fails.
"""
