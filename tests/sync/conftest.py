"""Sync tests: tests/sync on sys.path (fakecrm), and a workspace connected to a sandbox CRM over HTTPS."""

import sys
from pathlib import Path

import pytest

from leadbridge.sandbox import SandboxServer
from leadbridge.sync.connection import connect_sandbox
from leadbridge.sync.engine import connect
from leadbridge.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def connected(workspace: Workspace, tmp_path: Path):
    """(workspace, sandbox server, logged-in connector); test modules may define their own."""
    with SandboxServer(tmp_path / "sandbox") as srv:
        srv.write_env(tmp_path / "sandbox.env")
        connect_sandbox(workspace, tmp_path / "sandbox.env")
        yield workspace, srv, connect(workspace)
