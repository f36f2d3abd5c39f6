"""Serve the web app with uvicorn: in the foreground (`leadbridge web`) or on a thread (tests, demo)."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from leadbridge.background_server import BackgroundServer
from leadbridge.errors import LeadbridgeError
from leadbridge.web.app import create_app
from leadbridge.workspace import Workspace

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def serve(root: Path | None, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run until Ctrl-C."""
    uvicorn.run(create_app(root), host=host, port=port, log_level="warning")


class WebServer:
    """The app on a background thread; `with WebServer(ws) as srv: srv.url`."""

    def __init__(self, workspace: Workspace, host: str = "127.0.0.1", port: int = 0):
        self._background = BackgroundServer(uvicorn.Config(create_app(workspace=workspace), host=host, port=port,
                                                           log_level="warning", lifespan="off"), "leadbridge-web")
        self.url = ""

    def __enter__(self) -> "WebServer":
        self._background.start(LeadbridgeError("the web server did not start", hint="is the port in use?"))
        host, port = self._background.address()
        self.url = f"http://{host}:{port}"
        return self

    def __exit__(self, *exc) -> None:
        self._background.stop()
