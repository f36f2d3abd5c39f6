"""Logins as simple-salesforce performs them (its own SOAP and OAuth flows, routed to the sandbox), login
security (security token, trusted and profile IP ranges) and session expiry."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession
from simple_salesforce.login import soap_login

from leadbridge.crm.salesforce.session import Credentials, http_session, login
from leadbridge.errors import CrmConfigError
from leadbridge.sandbox import SandboxConfig
from sandbox_clients import oauth_token, routed_session

OUTSIDE = {"trusted_ip_ranges": ["10.0.0.0/8"]}  # the tests connect from 127.0.0.1: outside these


def token_form(srv, password, grant="password"):
    return {"grant_type": grant, "client_id": srv.client_id, "client_secret": srv.client_secret,
            "username": srv.username, "password": password}


def test_the_clients_own_soap_login_flow_works_and_reads_user_info(sandbox):
    sf = Salesforce(username=sandbox.username, password=sandbox.password, security_token="",
                    session=routed_session(sandbox))
    assert sf.sf_instance == sandbox.instance_url.removeprefix("https://")
    assert sf.query("SELECT COUNT() FROM User")["totalSize"] == 4
    env = ('<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><n1:login '
           f'xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{sandbox.username}</n1:username>'
           f'<n1:password>{sandbox.password}</n1:password></n1:login></env:Body></env:Envelope>')
    r = http_session(sandbox.ca_bundle).post(f"{sandbox.instance_url}/services/Soap/u/59.0", data=env,
                                             headers={"SOAPAction": "login", "content-type": "text/xml"})
    for tag in ("<sessionSecondsValid>7200</sessionSecondsValid>", "<userEmail>admin@sandbox.leadbridge.local"
                "</userEmail>", "<userFullName>Sandbox Admin</userFullName>"):
        assert tag in r.text


def test_bad_password_and_bad_client_are_refused_like_salesforce(sandbox):
    s = http_session(sandbox.ca_bundle)
    r = s.post(f"{sandbox.instance_url}/services/oauth2/token", data=token_form(sandbox, "wrong"))
    assert (r.status_code, r.json()) == (400, {"error": "invalid_grant", "error_description": "authentication failure"})
    r = s.post(f"{sandbox.instance_url}/services/oauth2/token",
               data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"})
    assert (r.status_code, r.json()["error"]) == (400, "invalid_client")
    with pytest.raises(SalesforceAuthenticationFailed) as exc:
        Salesforce(username=sandbox.username, password="wrong", security_token="", session=routed_session(sandbox))
    assert exc.value.code == "INVALID_LOGIN"


def test_client_credentials_with_the_basic_header_the_client_sends(sandbox):
    sf = Salesforce(consumer_key=sandbox.client_id, consumer_secret=sandbox.client_secret, domain="acme.my",
                    session=routed_session(sandbox))
    assert sf.query("SELECT Id FROM User WHERE Email = 'anna@sandbox.leadbridge.local'")["totalSize"] == 1


def test_outside_the_trusted_ranges_the_token_is_required(make_sandbox):
    srv = make_sandbox(SandboxConfig(security_token="TOK123", **OUTSIDE))
    routed = routed_session(srv)
    with pytest.raises(SalesforceAuthenticationFailed) as exc:
        Salesforce(username=srv.username, password=srv.password, security_token="", session=routed)
    assert exc.value.code == "LOGIN_MUST_USE_SECURITY_TOKEN"
    assert "you must add a security token to your password" in exc.value.auth_message
    with pytest.raises(SalesforceAuthenticationFailed) as exc:
        Salesforce(username=srv.username, password=srv.password, security_token="WRONG", session=routed)
    assert exc.value.code == "INVALID_LOGIN"
    sf = Salesforce(username=srv.username, password=srv.password, security_token="TOK123", session=routed)
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0
    # OAuth answers both failures the same way, as Salesforce's token endpoint does
    s = http_session(srv.ca_bundle)
    for password in (srv.password, srv.password + "WRONG"):
        r = s.post(f"{srv.instance_url}/services/oauth2/token", data=token_form(srv, password))
        assert r.json() == {"error": "invalid_grant", "error_description": "authentication failure"}
    assert s.post(f"{srv.instance_url}/services/oauth2/token", data=token_form(srv, srv.password + "TOK123")).ok


def test_inside_the_trusted_ranges_the_password_alone_is_enough(make_sandbox):
    srv = make_sandbox(SandboxConfig(security_token="TOK123"))  # default ranges: 127.0.0.0/8, where tests connect
    routed = routed_session(srv)
    assert Salesforce(username=srv.username, password=srv.password, security_token="", session=routed).session_id
    assert Salesforce(username=srv.username, password=srv.password, security_token="TOK123", session=routed).session_id


def test_a_profile_login_ip_range_refuses_other_addresses(make_sandbox):
    srv = make_sandbox(SandboxConfig(login_ip_ranges=["192.168.10.0/24"]))
    with pytest.raises(SalesforceAuthenticationFailed) as exc:
        Salesforce(username=srv.username, password=srv.password, security_token="", session=routed_session(srv))
    assert (exc.value.code, exc.value.auth_message) == ("LOGIN_DURING_RESTRICTED_DOMAIN",
                                                   "The user is not allowed to log in from this IP address.")
    s = http_session(srv.ca_bundle)
    r = s.post(f"{srv.instance_url}/services/oauth2/token", data=token_form(srv, srv.password))
    assert r.json() == {"error": "invalid_grant", "error_description": "IP restricted or invalid login hours"}
    r = s.post(f"{srv.instance_url}/services/oauth2/token", data=token_form(srv, "", "client_credentials"))
    assert r.json()["error_description"] == "IP restricted or invalid login hours"
    r = s.post(f"{srv.instance_url}/services/oauth2/token", data=token_form(srv, "wrong"))
    assert r.json()["error_description"] == "authentication failure"  # a wrong password says nothing about the IP
    srv.config.login_ip_ranges = ["127.0.0.1/32"]  # the admin adds this machine: effective on the next login
    assert s.post(f"{srv.instance_url}/services/oauth2/token", data=token_form(srv, srv.password)).ok


def test_the_connector_tells_ip_allowlist_from_token_problems(make_sandbox):
    """What `crm doctor` builds on: the SOAP login's codes name the cause."""
    token_srv = make_sandbox(SandboxConfig(security_token="TOK123", **OUTSIDE))
    ip_srv = make_sandbox(SandboxConfig(login_ip_ranges=["192.168.10.0/24"]))
    for srv, code, words in ((token_srv, "LOGIN_MUST_USE_SECURITY_TOKEN", "security token"),
                             (ip_srv, "LOGIN_DURING_RESTRICTED_DOMAIN", "allowed IP ranges")):
        creds = Credentials(login_url=srv.instance_url, username=srv.username, password=srv.password,
                            ca_bundle=srv.ca_bundle)
        with pytest.raises(CrmConfigError) as exc:
            login(creds)
        assert exc.value.code == code and words in exc.value.hint


def test_security_settings_are_validated():
    with pytest.raises(ValueError):
        SandboxConfig(trusted_ip_ranges=["not-a-range"])


def test_sessions_expire_and_the_client_logs_in_again(make_sandbox):
    srv = make_sandbox()
    direct = Salesforce(instance_url=srv.instance_url, session_id=oauth_token(srv), session=http_session(srv.ca_bundle))
    srv.sessions.expire_all()
    with pytest.raises(SalesforceExpiredSession) as exc:
        direct.query("SELECT Id FROM Lead LIMIT 1")
    assert exc.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    sf = Salesforce(username=srv.username, password=srv.password, security_token="", session=routed_session(srv))
    first = sf.session_id
    srv.sessions.expire_all()
    assert sf.Lead.create({"LastName": "After", "Company": "Expiry"})["success"]  # re-logged in by the client
    assert sf.session_id != first


def test_soap_login_answer_parses_with_the_clients_parser(sandbox):
    env = (f'<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><login>'
           f'<username>{sandbox.username}</username><password>{sandbox.password}</password></login></env:Body>'
           '</env:Envelope>')
    sid, instance = soap_login(f"{sandbox.instance_url}/services/Soap/u/59.0", env, {"SOAPAction": "login"}, None,
                               http_session(sandbox.ca_bundle))
    assert instance == sandbox.instance_url.removeprefix("https://") and sandbox.sessions.valid_id(sid)
    r = http_session(sandbox.ca_bundle).post(f"{sandbox.instance_url}/services/Soap/u/59.0", data="not xml")
    assert r.status_code == 500 and "<faultcode>soapenv:Client</faultcode>" in r.text
