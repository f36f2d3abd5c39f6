"""Clients for the sandbox tests: raw HTTPS, the real simple-salesforce client, SOAP calls, and the adapter
that lets simple-salesforce's own login flows (which always call https://*.salesforce.com) reach the sandbox."""

from __future__ import annotations

import ssl
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import urlsplit

import httpx
import requests
from simple_salesforce import Salesforce

from leadbridge.crm.salesforce.session import http_session
from leadbridge.sandbox import SandboxServer


def oauth_token(srv: SandboxServer, session: requests.Session | None = None) -> str:
    s = session or http_session(srv.ca_bundle)
    r = s.post(f"{srv.instance_url}/services/oauth2/token",
               data={"grant_type": "password", "client_id": srv.client_id, "client_secret": srv.client_secret,
                     "username": srv.username, "password": srv.password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def client_for(srv: SandboxServer) -> Salesforce:
    """The real simple-salesforce client in direct mode (session id from the sandbox's OAuth endpoint)."""
    s = http_session(srv.ca_bundle)
    return Salesforce(instance_url=srv.instance_url, session_id=oauth_token(srv, s), session=s)


def trust(srv: SandboxServer) -> ssl.SSLContext:
    """An SSL context trusting exactly the sandbox's CA (for httpx)."""
    return ssl.create_default_context(cafile=srv.ca_bundle)


def raw_client(srv: SandboxServer, version: str = "59.0") -> httpx.Client:
    """A plain HTTPS client on the data API, for checking bodies and status codes exactly."""
    return httpx.Client(base_url=f"{srv.instance_url}/services/data/v{version}", verify=trust(srv),
                        headers={"Authorization": f"Bearer {oauth_token(srv)}"}, timeout=30)


class ToSandbox(requests.adapters.HTTPAdapter):
    """Sends requests for *.salesforce.com to the sandbox, so the client's real login flows run unchanged."""

    def __init__(self, instance_url: str):
        super().__init__()
        self.instance_url = instance_url

    def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:
        parts = urlsplit(request.url)
        if parts.hostname and parts.hostname.endswith(".salesforce.com"):
            request.url = self.instance_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kw)


def routed_session(srv: SandboxServer) -> requests.Session:
    s = http_session(srv.ca_bundle)
    s.mount("https://", ToSandbox(srv.instance_url))
    return s


def soap(srv: SandboxServer, session_id: str, body: str) -> requests.Response:
    """A SOAP partner API call (convertLead, merge) with the session header."""
    env = ('<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope '
           'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com" '
           'xmlns:urn1="urn:sobject.partner.soap.sforce.com"><soapenv:Header><urn:SessionHeader>'
           f"<urn:sessionId>{session_id}</urn:sessionId></urn:SessionHeader></soapenv:Header>"
           f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>")
    return http_session(srv.ca_bundle).post(f"{srv.instance_url}/services/Soap/u/59.0/00D000000000001EAA",
                                            data=env.encode(), headers={"Content-Type": "text/xml; charset=utf-8",
                                                                        "SOAPAction": "x"})


@contextmanager
def permissions(srv: SandboxServer, **by_object: Any) -> Iterator[None]:
    """Set the API user's permissions on a shared server for the block only."""
    srv.config.permissions.update(by_object)
    try:
        yield
    finally:
        srv.config.permissions.clear()
