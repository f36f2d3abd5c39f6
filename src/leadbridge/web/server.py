"""Serve the web app with uvicorn: in the foreground (`leadbridge web`) or in a thread (tests, demo)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import uvicorn

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
        config = uvicorn.Config(create_app(workspace=workspace), host=host, port=port, log_level="warning",
                                lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="leadbridge-web", daemon=True)
        self.url = ""

    def __enter__(self) -> "WebServer":
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise LeadbridgeError("the web server did not start", hint="is the port in use?")
            time.sleep(0.02)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(5)
