"""A small local server for the built site, for previewing or serving on a trusted network.

The root is re-resolved from the ``site`` symlink on every request, so an atomic swap by
``build_site`` is picked up without a restart. It binds to 127.0.0.1 unless told otherwise,
serves only files inside the live build, and never lists directories.
"""

from __future__ import annotations

import contextlib
import logging
import os
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger(__name__)

# Explicit types rather than the platform's mimetypes database, which varies between machines.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-cache",  # revalidate, so readers see a new build promptly
}


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves the build the site link points to at the time of each request."""

    site_link: Path  # set on the subclass made by make_server
    server_version = "ObservatorySite"
    sys_version = ""

    def send_head(self):
        # Resolve the link once per request: a swap mid-request cannot mix two builds.
        root = os.path.realpath(self.site_link)
        if not os.path.isdir(root):
            self.send_error(HTTPStatus.SERVICE_UNAVAILABLE, "The site has not been built yet")
            return None
        self.directory = root
        target = os.path.realpath(self.translate_path(self.path))
        if target != root and not target.startswith(root + os.sep):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        return super().send_head()

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None

    def guess_type(self, path) -> str:
        self._content_type = CONTENT_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")
        return self._content_type

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            # Browsers' built-in PDF viewers can refuse to run under a strict policy: the board
            # pack PDF is a static file, so it is served without one.
            if name == "Content-Security-Policy" and getattr(self, "_content_type", "") == "application/pdf":
                continue
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        log.info("%s %s", self.address_string(), format % args)


def make_server(site_link: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server for ``site_link`` (port 0 picks a free port; see ``server.server_address``)."""
    handler = type("BoundSiteHandler", (SiteHandler,), {"site_link": Path(site_link)})
    return ThreadingHTTPServer((host, port), handler)


def serve(site_link: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the site at ``site_link`` until interrupted."""
    with make_server(site_link, host, port) as server:
        address, bound_port = server.server_address[:2]
        log.info("serving %s at http://%s:%s/", site_link, address, bound_port)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
