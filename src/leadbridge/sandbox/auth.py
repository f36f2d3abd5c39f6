"""Logins (OAuth password and client credentials, SOAP), login security, and session ids that expire.

Login security follows Salesforce's rules:

- From an IP inside the org's trusted ranges (`trusted_ip_ranges`, default 127.0.0.0/8) or the
  profile's login IP ranges, the password alone is enough; from outside, when the user has a
  `security_token`, the password must be followed by it. The password alone then fails with
  `LOGIN_MUST_USE_SECURITY_TOKEN`, a wrong token with `INVALID_LOGIN`.
- When `login_ip_ranges` (the profile's Login IP Ranges) is set, a login with the right
  credentials from outside it fails with `LOGIN_DURING_RESTRICTED_DOMAIN` ("The user is not
  allowed to log in from this IP address", the SOAP API's ExceptionCode table).
- The OAuth token endpoint does not tell these apart the way SOAP does: a bad password and a
  missing token both give `invalid_grant` / `authentication failure` (what Salesforce answers,
  as reported by many client projects); an IP outside the profile ranges gives `invalid_grant`
  / `IP restricted or invalid login hours` (Salesforce's OAuth error table).
"""

from __future__ import annotations

import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass

from leadbridge.sandbox.config import SandboxConfig

ORG_ID = "00D000000000001EAA"
INVALID_LOGIN = "Invalid username, password, security token; or user locked out."
MUST_USE_TOKEN = ("Invalid username, password, security token; or user locked out. Are you at a new location? When "
                  "accessing Salesforce--either via a desktop client or the API--from outside of your company’s trusted "
                  "networks, you must add a security token to your password to log in. To get your new security "
                  "token, log in to Salesforce. From your personal settings, enter Reset My Security Token in the "
                  "Quick Find box, then select Reset My Security Token.")
RESTRICTED_IP = "The user is not allowed to log in from this IP address."


@dataclass(frozen=True)
class LoginFailure:
    code: str  # the SOAP LoginFault exceptionCode
    message: str
    oauth_error: str
    oauth_description: str


def _inside(ip: str | None, ranges: list[str]) -> bool:
    if not ip:
        return False
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(r, strict=False) for r in ranges)


def check_login(config: SandboxConfig, username: str | None, password: str | None, ip: str | None
                ) -> LoginFailure | None:
    """None when the username/password (+ token) may log in from `ip`, else how Salesforce refuses it."""
    bad = LoginFailure("INVALID_LOGIN", INVALID_LOGIN, "invalid_grant", "authentication failure")
    if (username or "").strip().lower() != config.username.lower() or password is None:  # usernames ignore case
        return bad
    token = config.security_token
    in_profile = bool(config.login_ip_ranges) and _inside(ip, config.login_ip_ranges)
    trusted = in_profile or _inside(ip, config.trusted_ip_ranges)
    if token and password == config.password + token:
        credentials = True
    elif password == config.password:
        if token and not trusted:
            if config.login_ip_ranges and not in_profile:
                return LoginFailure("LOGIN_DURING_RESTRICTED_DOMAIN", RESTRICTED_IP, "invalid_grant",
                                    "IP restricted or invalid login hours")
            return LoginFailure("LOGIN_MUST_USE_SECURITY_TOKEN", MUST_USE_TOKEN, "invalid_grant",
                                "authentication failure")
        credentials = True
    else:
        return bad  # a wrong password, or the right one followed by a wrong token
    if credentials and config.login_ip_ranges and not in_profile:
        return LoginFailure("LOGIN_DURING_RESTRICTED_DOMAIN", RESTRICTED_IP, "invalid_grant",
                            "IP restricted or invalid login hours")
    return None


def check_client_login(config: SandboxConfig, ip: str | None) -> LoginFailure | None:
    """Client credentials run as the org's user: the profile's login IP ranges apply, a token does not."""
    if config.login_ip_ranges and not _inside(ip, config.login_ip_ranges):
        return LoginFailure("LOGIN_DURING_RESTRICTED_DOMAIN", RESTRICTED_IP, "invalid_grant",
                            "IP restricted or invalid login hours")
    return None


class Sessions:
    def __init__(self, config: SandboxConfig):
        self.config = config
        self.expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        sid = f"{ORG_ID}!{secrets.token_urlsafe(24)}"
        now = time.monotonic()
        with self._lock:
            self.expiry = {s: t for s, t in self.expiry.items() if t > now}  # forget expired sessions
            self.expiry[sid] = now + self.config.session_seconds
        return sid

    def valid_id(self, sid: str | None) -> bool:
        exp = self.expiry.get((sid or "").strip())
        return exp is not None and exp > time.monotonic()

    def valid(self, header: str | None) -> bool:
        """An `Authorization: Bearer <session id>` (or OAuth `OAuth <id>`) header naming a live session."""
        if not header:
            return False
        scheme, _, sid = header.partition(" ")
        return scheme in ("Bearer", "OAuth") and self.valid_id(sid)

    def expire_all(self) -> None:
        with self._lock:
            self.expiry.clear()

    def client_ok(self, client_id: str | None, client_secret: str | None) -> bool:
        return client_id == self.config.client_id and client_secret == self.config.client_secret
