"""The SOAP partner API subset: login, convertLead and merge, parsed and answered as Salesforce does.

Envelopes are parsed as XML (any namespace prefixes). Per-record failures come back inside
the result (`<success>false</success><errors>…`), request-level ones as SOAP faults (HTTP 500).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from leadbridge.sandbox.auth import ORG_ID
from leadbridge.sandbox.validation import RecordError

ENV = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
       'xmlns="urn:partner.soap.sforce.com" xmlns:sf="urn:fault.partner.soap.sforce.com" '
       'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>{}</soapenv:Body></soapenv:Envelope>')


class SoapFault(Exception):
    def __init__(self, code: str, message: str, detail: str = "UnexpectedErrorFault", faultcode: str | None = None):
        super().__init__(message)
        self.code, self.message, self.detail, self.faultcode = code, message, detail, faultcode or f"sf:{code}"

    def xml(self) -> str:
        return ENV.format(f"<soapenv:Fault><faultcode>{self.faultcode}</faultcode><faultstring>{escape(self.code)}: "
                          f"{escape(self.message)}</faultstring><detail><sf:{self.detail} "
                          f'xsi:type="sf:{self.detail}"><sf:exceptionCode>{escape(self.code)}</sf:exceptionCode>'
                          f"<sf:exceptionMessage>{escape(self.message)}</sf:exceptionMessage></sf:{self.detail}>"
                          "</detail></soapenv:Fault>")


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass
class Envelope:
    operation: str
    session_id: str | None
    body: ET.Element


def parse(data: bytes) -> Envelope:
    """The operation, the SessionHeader's session id and the operation element of a SOAP request."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SoapFault("INVALID_XML", f"Unable to parse the request: {exc}", faultcode="soapenv:Client") from None
    header = next((c for c in root if local(c.tag) == "Header"), None)
    body = next((c for c in root if local(c.tag) == "Body"), None)
    if body is None or not len(body):
        raise SoapFault("INVALID_XML", "The SOAP envelope has no body", faultcode="soapenv:Client")
    op = body[0]
    sid = None
    if header is not None:
        sid = next((e.text for e in header.iter() if local(e.tag) == "sessionId"), None)
    return Envelope(local(op.tag), (sid or "").strip() or None, op)


def children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if local(c.tag) == name]


def text(el: ET.Element, name: str) -> str | None:
    found = children(el, name)
    return (found[0].text or "").strip() if found else None


def login_credentials(op: ET.Element) -> tuple[str | None, str | None]:
    return text(op, "username"), (children(op, "password")[0].text or "") if children(op, "password") else None


def login_response(instance: str, version: str, sid: str, user: dict[str, Any], seconds: int) -> str:
    return ENV.format(
        f"<loginResponse><result><metadataServerUrl>{instance}/services/Soap/m/{version}/{ORG_ID}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
        f"<serverUrl>{instance}/services/Soap/u/{version}/{ORG_ID}</serverUrl><sessionId>{sid}</sessionId>"
        f"<userId>{user['Id']}</userId><userInfo><currencySymbol>$</currencySymbol>"
        f"<organizationId>{ORG_ID}</organizationId><organizationMultiCurrency>false</organizationMultiCurrency>"
        "<organizationName>leadbridge sandbox</organizationName><profileId>00e000000000001AAA</profileId>"
        f"<sessionSecondsValid>{seconds}</sessionSecondsValid><userDefaultCurrencyIsoCode xsi:nil=\"true\"/>"
        f"<userEmail>{escape(user.get('Email') or '')}</userEmail><userFullName>{escape(user.get('Name') or '')}"
        f"</userFullName><userId>{user['Id']}</userId><userLanguage>en_US</userLanguage><userLocale>en_US</userLocale>"
        f"<userName>{escape(user.get('Username') or '')}</userName><userTimeZone>GMT</userTimeZone>"
        "<userType>Standard</userType></userInfo></result></loginResponse>")


def sobject_values(el: ET.Element) -> tuple[str | None, str | None, dict[str, Any]]:
    """(type, Id, field values) of an sObject element; `fieldsToNull` become None values."""
    kind, rid, values = None, None, {}
    for c in el:
        name = local(c.tag)
        if name == "type":
            kind = (c.text or "").strip()
        elif name == "Id":
            rid = (c.text or "").strip() or None
        elif name == "fieldsToNull":
            values[(c.text or "").strip()] = None
        elif c.attrib.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true":
            values[name] = None
        else:
            values[name] = c.text or ""
    return kind, rid, values


def _id(name: str, value: str | None) -> str:
    return f"<{name}>{value}</{name}>" if value else f'<{name} xsi:nil="true"/>'


def _errors(exc: RecordError) -> str:
    fields = "".join(f"<fields>{escape(f)}</fields>" for f in exc.fields)
    return f"<errors>{fields}<message>{escape(exc.message)}</message><statusCode>{exc.code}</statusCode></errors>"


def convert_response(results: list[dict[str, Any] | tuple[str, RecordError]]) -> str:
    out = []
    for r in results:
        if isinstance(r, tuple):
            lead, exc = r
            out.append(f"<result>{_id('accountId', None)}{_id('contactId', None)}{_errors(exc)}{_id('leadId', lead)}"
                       f"{_id('opportunityId', None)}<success>false</success></result>")
        else:
            out.append(f"<result>{_id('accountId', r['accountId'])}{_id('contactId', r['contactId'])}"
                       f"{_id('leadId', r['leadId'])}{_id('opportunityId', r.get('opportunityId'))}"
                       "<success>true</success></result>")
    return ENV.format(f"<convertLeadResponse>{''.join(out)}</convertLeadResponse>")


def merge_response(results: list[dict[str, Any] | tuple[str, RecordError]]) -> str:
    out = []
    for r in results:
        if isinstance(r, tuple):
            master, exc = r
            out.append(f"<result>{_errors(exc)}{_id('id', master)}<success>false</success></result>")
        else:
            merged = "".join(f"<mergedRecordIds>{m}</mergedRecordIds>" for m in r["mergedRecordIds"])
            related = "".join(f"<updatedRelatedIds>{m}</updatedRelatedIds>" for m in r["updatedRelatedIds"])
            out.append(f"<result><id>{r['id']}</id>{merged}<success>true</success>{related}</result>")
    return ENV.format(f"<mergeResponse>{''.join(out)}</mergeResponse>")
