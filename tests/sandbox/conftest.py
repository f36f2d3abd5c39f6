"""A sandbox server per test module, and logged-in clients for it."""

from __future__ import annotations


import pytest
import requests
from simple_salesforce import Salesforce

from leadbridge.crm.salesforce.session import http_session
from leadbridge.sandbox import SandboxServer



@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with SandboxServer(tmp_path_factory.mktemp("sandbox")) as srv:
        yield srv


def oauth_token(srv: SandboxServer, session: requests.Session) -> str:
    r = session.post(f"{srv.instance_url}/services/oauth2/token",
                     data={"grant_type": "password", "client_id": srv.client_id, "client_secret": srv.client_secret,
                           "username": srv.username, "password": srv.password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.fixture
def login(sandbox):
    """A function giving a fresh OAuth session id for a requests session."""
    return lambda session: oauth_token(sandbox, session)


@pytest.fixture
def session(sandbox) -> requests.Session:
    return http_session(sandbox.ca_bundle)


@pytest.fixture
def sf(sandbox, session) -> Salesforce:
    """The real simple-salesforce client in direct mode, session id from the sandbox's OAuth endpoint."""
    return Salesforce(instance_url=sandbox.instance_url, session_id=oauth_token(sandbox, session), session=session)
