"""A PEP 691/740 simple index served on 127.0.0.1, for release-mode tests.

The tests' `index` fixture (conftest.py) serves one; a test adds files and
their provenance to it and points the script's --index-url at `simple`.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

JSON_API = "application/vnd.pypi.simple.v1+json"


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/octet-stream"
    delay: float = 0.0
    failures: int = 0  # answer 503 this many times first


@dataclass
class FakeIndex:
    """A simple index: a project page, files, and their provenance."""

    url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)
    project: str = "pypi-attestations"

    @property
    def simple(self) -> str:
        return f"{self.url}/simple/"

    def add(
        self,
        name: str,
        data: bytes,
        provenance: bytes | None,
        *,
        listed_sha256: str | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "filename": name,
            "url": f"{self.url}/files/{name}",
            "hashes": {"sha256": listed_sha256 or hashlib.sha256(data).hexdigest()},
        }
        self.routes[f"/files/{name}"] = Route(body=data)
        if provenance is not None:
            entry["provenance"] = f"{self.url}/provenance/{name}"
            self.routes[f"/provenance/{name}"] = Route(
                body=provenance, content_type="application/json"
            )
        self.files.append(entry)
        page = {
            "meta": {"api-version": "1.1"},
            "name": self.project,
            "files": self.files,
        }
        self.routes[f"/simple/{self.project}/"] = Route(
            body=json.dumps(page).encode(), content_type=JSON_API
        )


@contextmanager
def serve() -> Iterator[FakeIndex]:
    """An empty index answering on 127.0.0.1 until the block ends."""
    state = FakeIndex()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits[self.path] = state.hits.get(self.path, 0) + 1
            route = state.routes.get(self.path, Route(status=404))
            time.sleep(route.delay)
            status = route.status
            if route.failures:
                route.failures -= 1
                status = 503
            self.send_response(status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            # The verifier stops reading a document past its bound (or one it
            # has refused): the index does not complain of it.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(route.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    # shutdown() waits for the serving loop's next poll (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
