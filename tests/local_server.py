"""A bounded HTTP server on 127.0.0.1 serving a folder, in place of the network in tests
(torchvision's real downloader then runs against it, MD5 checks included)."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        """No request log on stderr."""


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that closes early (a probing request) is no failure here."""


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on a free loopback port; yields the base URL (ending in ``/``)."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="test-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def mirror_mnist(monkeypatch: Any, url: str, checksums_of: Path) -> None:
    """Point torchvision's MNIST at ``url``, expecting the MD5s of the files in
    ``checksums_of`` (../shared/data's gzip files were compressed again: their bytes, not their
    contents, differ from the published ones)."""
    import torchvision.datasets as tvd

    resources = [(name, hashlib.md5((checksums_of / name).read_bytes()).hexdigest())
                 for name, _ in tvd.MNIST.resources]
    monkeypatch.setattr(tvd.MNIST, "mirrors", [url])
    monkeypatch.setattr(tvd.MNIST, "resources", resources)


def closed_port_url() -> str:
    """A loopback URL nothing listens on (the download fails at once, as offline)."""
    with ThreadingHTTPServer(("127.0.0.1", 0), QuietHandler) as server:
        port = server.server_address[1]
    return f"http://127.0.0.1:{port}/"
