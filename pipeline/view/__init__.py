"""One study in neuroglancer, one command away (`jobs.view`).

Two servers on 127.0.0.1: the PyPI `neuroglancer` package's own (its client, holding the viewer
state; its bundled client only runs against it) and `pipeline.view.server` (the study's objects,
with byte ranges, and its label names). The local link opens the client with the state set; the
portable link carries the same state in its URL for any other neuroglancer client, such as the
public demo, which reads the data from the same server while it runs.

    with view.open_view(catalog, "s000000003") as viewer:
        print(viewer.url)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.catalog import Catalog
from pipeline.errors import StorageError
from pipeline.view.server import LOOPBACK, SEGMENTS_PREFIX, Served, Server
from pipeline.view.state import StudyView, describe, direct_url, link, segment_properties, state

SEGMENTS_INFO = "info"
PUBLIC_CLIENT = "https://neuroglancer-demo.appspot.com"  # google/neuroglancer's README: the demo app


@dataclass
class Viewer:
    study: StudyView
    data: Server
    client: Any  # neuroglancer.Viewer
    state: dict[str, Any]

    @property
    def url(self) -> str:
        """The local client, its state set from here."""
        return str(self.client.get_viewer_url())

    @property
    def link(self) -> str:
        """The state in a link any neuroglancer client opens."""
        return link(PUBLIC_CLIENT, self.state)

    def close(self) -> None:
        import neuroglancer

        neuroglancer.stop()
        self.data.stop()

    def __enter__(self) -> Viewer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_view(catalog: Catalog, study_id: str, port: int = 0, direct: bool = False) -> Viewer:
    """Serve `study_id` of `catalog`: the client on `port` (0: any free port), the data on the port
    after it. With `direct`, the state reads the study from its S3 bucket (public, or readable from
    the viewer's origin) and the data server only serves the label names."""
    try:
        import neuroglancer
    except ImportError:
        raise StorageError("jobs.view: the neuroglancer package is not installed (pip install neuroglancer)") from None
    bucket = direct_url(catalog.store) if direct else None
    study = describe(catalog, study_id)
    data_base = f"{bucket}/{study.group}" if bucket else None
    served = Served(catalog.store, study.group, {SEGMENTS_INFO: segment_properties(study.labels)})
    data = Server(served, port + 1 if port else 0).start()
    viewer_state = state(study, data_base or f"{data.url}/data/{study.group}", data.url + SEGMENTS_PREFIX)
    try:
        neuroglancer.set_server_bind_address(LOOPBACK, port)
        client = neuroglancer.Viewer()
        client.set_state(neuroglancer.ViewerState(viewer_state))
        client.get_viewer_url()  # starts the client's server: a busy port fails here, not in the browser
    except OSError as exc:
        data.stop()
        raise StorageError(f"--port: cannot listen on {LOOPBACK}:{port} ({exc.strerror or exc})") from None
    return Viewer(study, data, client, viewer_state)


__all__ = ["Served", "Server", "StudyView", "Viewer", "describe", "link", "open_view", "state"]
