"""Sync tests: a workspace connected to a sandbox CRM over HTTPS."""

from pathlib import Path

import pytest

from leadbridge.sandbox import SandboxServer
from leadbridge.sync.connection import connect_sandbox
from leadbridge.sync.engine import connect
from leadbridge.workspace import Workspace



@pytest.fixture
def connected(workspace: Workspace, tmp_path: Path):
    """(workspace, sandbox server, logged-in connector); test modules may define their own."""
    with SandboxServer(tmp_path / "sandbox") as srv:
        srv.write_env(tmp_path / "sandbox.env")
        connect_sandbox(workspace, tmp_path / "sandbox.env")
        yield workspace, srv, connect(workspace)
