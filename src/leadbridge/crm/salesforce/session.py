"""Logging in to Salesforce: OAuth password / client-credentials flow, or the SOAP login."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

import requests

from leadbridge.errors import CrmConfigError, CrmTransientError

TIMEOUT = (10, 600)  # connect, read (Salesforce's request timeout is 10 minutes)


@dataclass(frozen=True)
class Credentials:
    login_url: str
    username: str | None = None
    password: str | None = None
    security_token: str = ""
    client_id: str | None = None
    client_secret: str | None = None
    ca_bundle: str | None = None
    api_version: str = "59.0"


@dataclass(frozen=True)
class LoginResult:
    session_id: str
    instance_url: str
    method: str


def http_session(ca_bundle: str | None) -> requests.Session:
    """A requests session; with `ca_bundle` it trusts exactly that CA.

    requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override `session.verify`, so a
    session pinned to a CA must not read the environment.
    """
    s = requests.Session()
    if ca_bundle:
        s.verify = ca_bundle
        s.trust_env = False
    return s


def login(creds: Credentials, session: requests.Session | None = None) -> LoginResult:
    """Log in with OAuth (password, or client credentials when no username), else SOAP."""
    s = session or http_session(creds.ca_bundle)
    base = creds.login_url.rstrip("/")
    try:
        if creds.client_id and creds.client_secret:
            form = {"client_id": creds.client_id, "client_secret": creds.client_secret}
            if creds.username:
                form.update(grant_type="password", username=creds.username,
                            password=(creds.password or "") + creds.security_token)
            else:
                form.update(grant_type="client_credentials")
            r = s.post(f"{base}/services/oauth2/token", data=form, timeout=TIMEOUT)
            if r.status_code != 200:
                body = _json(r)
                raise CrmConfigError(f"login refused: {body.get('error')}: {body.get('error_description')}",
                                     code=str(body.get("error") or r.status_code).upper(), status=r.status_code,
                                     hint=refused_login_hint(body.get("error_description", "")))
            body = r.json()
            return LoginResult(body["access_token"], body.get("instance_url") or base, "oauth")
        return _soap_login(s, base, creds)
    except requests.exceptions.SSLError as exc:
        raise CrmConfigError(f"TLS error talking to {base}: {exc}",
                             hint="set crm.ca_bundle to the CA file (the sandbox prints SANDBOX_CA_BUNDLE)") from None
    except requests.exceptions.ConnectionError as exc:
        raise CrmTransientError(f"cannot reach {base}: {exc.__class__.__name__}", code="CONNECTION_ERROR",
                                hint="is the CRM (or `leadbridge sandbox`) running at that URL?") from None


def _soap_login(s: requests.Session, base: str, creds: Credentials) -> LoginResult:
    env = ('<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com">'
           f'<env:Body><urn:login><urn:username>{escape(creds.username or "")}</urn:username>'
           f'<urn:password>{escape((creds.password or "") + creds.security_token)}</urn:password>'
           '</urn:login></env:Body></env:Envelope>')
    r = s.post(f"{base}/services/Soap/u/{creds.api_version}", data=env.encode(),
               headers={"content-type": "text/xml", "charset": "UTF-8", "SOAPAction": "login"}, timeout=TIMEOUT)
    if r.status_code != 200:
        code = _tag(r.text, "sf:exceptionCode") or _tag(r.text, "faultcode") or str(r.status_code)
        message = _tag(r.text, "sf:exceptionMessage") or _tag(r.text, "faultstring") or r.text[:200]
        raise CrmConfigError(f"login refused: {code}: {message}", code=code.split(":")[-1], status=r.status_code,
                             hint=refused_login_hint(f"{code} {message}"))
    session_id, server = _tag(r.text, "sessionId"), _tag(r.text, "serverUrl")
    if not session_id or not server:
        raise CrmConfigError("the SOAP login answer had no sessionId/serverUrl")
    instance = re.match(r"(https?://[^/]+)", server).group(1)
    return LoginResult(session_id, instance, "soap")


def refused_login_hint(text: str) -> str:
    """Tell the likely cause of a refused login (IP allowlist vs security token vs password)."""
    t = text.upper()
    if "RESTRICTED" in t or "IP" in t.split() or "LOGIN_DURING_RESTRICTED" in t:
        return "the org only accepts logins from allowed IP ranges: add this machine's IP or use a security token"
    if "SECURITY_TOKEN" in t or "TOKEN" in t:
        return "append the user's security token to the password (Setup → Reset My Security Token)"
    return ("check the username and password; if they are right, the org probably requires a security token "
            "(this IP is outside the allowlist): set crm.security_token")


def _tag(xml: str, name: str) -> str | None:
    m = re.search(rf"<{re.escape(name)}[^>]*>(.*?)</{re.escape(name)}>", xml, re.S)
    return m.group(1) if m else None


def _json(r: requests.Response) -> dict:
    try:
        body = r.json()
        return body if isinstance(body, dict) else {"error": str(body)}
    except ValueError:
        return {"error": str(r.status_code), "error_description": r.text[:200]}
