"""Logins (OAuth password and client credentials, SOAP) and session ids that expire."""

from __future__ import annotations

import re
import secrets
import time
from html import unescape

from leadbridge.sandbox.config import SandboxConfig

ORG_ID = "00D000000000001EAA"


class Sessions:
    def __init__(self, config: SandboxConfig):
        self.config = config
        self.expiry: dict[str, float] = {}

    def issue(self) -> str:
        sid = f"{ORG_ID}!{secrets.token_urlsafe(24)}"
        self.expiry[sid] = time.monotonic() + self.config.session_seconds
        return sid

    def valid(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        exp = self.expiry.get(header[7:].strip())
        return exp is not None and exp > time.monotonic()

    def expire_all(self) -> None:
        self.expiry.clear()

    def password_ok(self, username: str | None, password: str | None) -> bool:
        c = self.config
        return username == c.username and password == c.password + c.security_token

    def client_ok(self, client_id: str | None, client_secret: str | None) -> bool:
        return client_id == self.config.client_id and client_secret == self.config.client_secret


def soap_credentials(body: str) -> tuple[str | None, str | None]:
    def tag(name: str) -> str | None:
        m = re.search(rf"<(?:\w+:)?{name}>(.*?)</(?:\w+:)?{name}>", body, re.S)
        return unescape(m.group(1)) if m else None
    return tag("username"), tag("password")


def soap_login_response(instance: str, version: str, sid: str, user_id: str, username: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
            f'<loginResponse><result><metadataServerUrl>{instance}/services/Soap/m/{version}/{ORG_ID}</metadataServerUrl>'
            '<passwordExpired>false</passwordExpired><sandbox>true</sandbox>'
            f'<serverUrl>{instance}/services/Soap/u/{version}/{ORG_ID}</serverUrl><sessionId>{sid}</sessionId>'
            f'<userId>{user_id}</userId><userInfo><organizationId>{ORG_ID}</organizationId>'
            f'<userName>{username}</userName></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>')


def soap_fault(code: str, message: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>'
            f'<faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring><detail>'
            f'<sf:LoginFault><sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{message}'
            '</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>')
