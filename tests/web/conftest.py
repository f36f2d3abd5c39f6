"""Web tests: the app served by uvicorn on 127.0.0.1 over real HTTP, for a workspace on SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from leadbridge.sandbox import SandboxServer
from leadbridge.sync.connection import connect_sandbox
from leadbridge.web.server import WebServer
from leadbridge.workspace import Workspace


@pytest.fixture
def web(workspace: Workspace):
    """(workspace, http client on the running app)."""
    with WebServer(workspace) as srv, httpx.Client(base_url=srv.url, timeout=30) as client:
        yield workspace, client


@pytest.fixture
def synced_web(workspace: Workspace, tmp_path: Path):
    """(workspace, sandbox server, running web server) with the workspace connected to the sandbox."""
    with SandboxServer(tmp_path / "sandbox") as crm:
        crm.write_env(tmp_path / "sandbox.env")
        connect_sandbox(workspace, tmp_path / "sandbox.env")
        with WebServer(workspace) as srv:
            yield workspace, crm, srv
