"""Sandbox servers for the tests and logged-in clients for them (helpers in sandbox_clients.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from simple_salesforce import Salesforce

from leadbridge.sandbox import SandboxConfig, SandboxServer

sys.path.insert(0, str(Path(__file__).parent))

from sandbox_clients import client_for, raw_client  # noqa: E402


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """One server per test module; tests that change its config or faults use `make_sandbox` instead."""
    with SandboxServer(tmp_path_factory.mktemp("sandbox")) as srv:
        yield srv


@pytest.fixture
def make_sandbox(tmp_path):
    """A factory for servers with their own config / faults, stopped after the test."""
    started: list[SandboxServer] = []

    def make(config: SandboxConfig | None = None, **kw: Any) -> SandboxServer:
        srv = SandboxServer(tmp_path / f"sb{len(started)}", config=config, **kw).start()
        started.append(srv)
        return srv
    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def sf(sandbox) -> Salesforce:
    """The real simple-salesforce client in direct mode on the module's server."""
    return client_for(sandbox)


@pytest.fixture
def raw(sandbox) -> Iterator[httpx.Client]:
    with raw_client(sandbox) as c:
        yield c
