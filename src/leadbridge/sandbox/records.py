"""sObject REST resources: list, describe, metadata, create, read, update, delete, upsert / read / delete by
external id, and the updated / deleted windows.

Request headers honoured: `Sforce-Auto-Assign` (TRUE, FALSE or an AssignmentRule id; absent
means TRUE, per the REST API's Assignment Rule Header docs) and `Sforce-Duplicate-Rule-Header:
allowSave=true`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from leadbridge.sandbox.validation import ParseError, RecordError, parse_datetime, sf_datetime

UPDATED_DAYS, DELETED_DAYS = 30, 15


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json;charset=UTF-8")


def assign_rule(req: Request) -> str | None:
    """The assignment rule a write runs: "default" unless the header says FALSE, or the rule id it names."""
    value = (req.headers.get("sforce-auto-assign") or "TRUE").strip()
    if value.upper() == "TRUE":
        return "default"
    return None if value.upper() == "FALSE" else value


def allow_save(req: Request) -> bool:
    return bool(re.search(r"allowsave\s*=\s*true", req.headers.get("sforce-duplicate-rule-header", ""), re.I))


async def body_of(req: Request) -> dict[str, Any]:
    try:
        data = orjson.loads(await req.body())
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ParseError("Cannot deserialize instance of an sObject from START_ARRAY value")
    return data


def lock_error(rid: str | None = None) -> RecordError:
    suffix = f" or 1 records: {rid}" if rid else ""
    return RecordError("UNABLE_TO_LOCK_ROW", f"unable to obtain exclusive access to this record{suffix}", [])


def _window(req: Request) -> tuple[datetime, datetime]:
    out = []
    for name in ("start", "end"):
        raw = req.query_params.get(name)
        if not raw:
            raise RecordError("MISSING_ARGUMENT", f"Missing required parameter: {name}")
        try:
            out.append(parse_datetime(raw))
        except ValueError:
            raise RecordError("INVALID_REPLICATION_DATE", f"{name}: {raw!r} is not a dateTime; give an ISO 8601 value "
                              "with a time zone, e.g. 2026-11-22T10:00:00+00:00") from None
    start, end = out
    if end < start:
        raise RecordError("INVALID_REPLICATION_DATE", "EndDate can not be earlier than startDate")
    return start.replace(second=0, microsecond=0), end  # the window ignores seconds, as getUpdated/getDeleted do


def _covered(end: datetime) -> str:
    return sf_datetime(min(end, datetime.now(timezone.utc)).replace(second=0, microsecond=0))


def register(app: FastAPI, sb: Any) -> None:
    org = sb.org
    base = "/services/data/v{version}/sobjects"

    @app.get(base)
    @app.get(base + "/")
    async def sobjects(version: str) -> Response:
        return json_response(org.schema.sobjects(version))

    @app.get(base + "/{obj}/describe")
    @app.get(base + "/{obj}/describe/")
    async def describe(version: str, obj: str) -> Response:
        return json_response(org.schema.describe(org.check_object(obj), version))

    @app.get(base + "/{obj}/updated")
    @app.get(base + "/{obj}/updated/")
    async def updated(version: str, obj: str, req: Request) -> Response:
        obj = org.check_object(obj)
        start, end = _window(req)
        if start < datetime.now(timezone.utc) - timedelta(days=UPDATED_DAYS):
            raise RecordError("INVALID_REPLICATION_DATE", f"startDate cannot be more than {UPDATED_DAYS} days ago")
        ids = [r["Id"] for r in org.store.table(obj).values() if start <= parse_datetime(r["SystemModstamp"]) <= end]
        return json_response({"ids": ids, "latestDateCovered": _covered(end)})

    @app.get(base + "/{obj}/deleted")
    @app.get(base + "/{obj}/deleted/")
    async def deleted(version: str, obj: str, req: Request) -> Response:
        obj = org.check_object(obj)
        start, end = _window(req)
        # the recycle bin keeps deleted ids 15 days ("results are returned for no more than 15 days previous")
        horizon = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(days=DELETED_DAYS)
        out = [{"id": rid, "deletedDate": r["_deleted_at"]} for rid, r in org.store.deleted.get(obj, {}).items()
               if max(start, horizon) <= parse_datetime(r["_deleted_at"]) <= end]
        return json_response({"deletedRecords": out, "earliestDateAvailable": sf_datetime(horizon),
                              "latestDateCovered": _covered(end)})

    @app.api_route(base + "/{obj}", methods=["GET", "POST"])
    @app.api_route(base + "/{obj}/", methods=["GET", "POST"])
    async def sobject(version: str, obj: str, req: Request) -> Response:
        if req.method == "POST":
            return await create(version, obj, req)
        obj = org.check_object(obj)
        recent = sorted(org.store.table(obj).values(), key=lambda r: r.get("LastModifiedDate") or "", reverse=True)
        return json_response({"objectDescribe": org.schema.sobject_entry(obj, version),
                              "recentItems": [org.public(obj, r, version, ["Id", "Name"]) for r in recent[:10]]})

    async def create(version: str, obj: str, req: Request) -> Response:
        obj = org.check_object(obj)
        values = await body_of(req)
        if req.scope["state"].get("lock_fault"):
            raise lock_error()
        rec = org.prepare_create(obj, values, assign=assign_rule(req), allow_save=allow_save(req), version=version)
        org.commit(obj, [rec])
        return json_response({"id": rec["Id"], "success": True, "errors": []}, 201)

    @app.api_route(base + "/{obj}/{rid}", methods=["GET", "PATCH", "DELETE"])
    async def record(version: str, obj: str, rid: str, req: Request) -> Response:
        handler = {"GET": read, "PATCH": update, "DELETE": delete}[req.method]
        return await handler(version, obj, rid, req)

    async def read(version: str, obj: str, rid: str, req: Request) -> Response:
        obj = org.check_object(obj)
        rec = org.existing(obj, rid)
        fields = req.query_params.get("fields")
        names = None
        if fields:
            names = []
            for f in fields.split(","):
                api = org.schema.field_name(obj, f.strip())
                if api is None:
                    raise RecordError("INVALID_FIELD", f"No such column '{f.strip()}' on entity '{obj}'", [f.strip()])
                names.append(api)
        return json_response(org.public(obj, rec, version, names))

    async def update(version: str, obj: str, rid: str, req: Request) -> Response:
        obj = org.check_object(obj)
        values = await body_of(req)
        if req.scope["state"].get("lock_fault"):
            raise lock_error(rid)
        rec = org.prepare_update(obj, rid, values, assign=assign_rule(req), allow_save=allow_save(req),
                                 version=version)
        org.commit(obj, [rec])
        return Response(status_code=204)

    async def delete(version: str, obj: str, rid: str, req: Request) -> Response:
        obj = org.check_object(obj)
        if req.scope["state"].get("lock_fault"):
            org.check_delete(obj, rid)
            raise lock_error(rid)
        org.delete(obj, rid)
        return Response(status_code=204)

    def _by_external(version: str, obj: str, field: str, value: str) -> tuple[str, list[dict[str, Any]], Response | None]:
        obj = org.check_object(obj)
        hits = org.find_external(obj, field, value)
        if len(hits) > 1:  # several records hold the value: 300 with their URLs
            urls = [f"/services/data/v{version}/sobjects/{obj}/{h['Id']}" for h in hits]
            return obj, hits, json_response(urls, 300)
        return obj, hits, None

    @app.api_route(base + "/{obj}/{field}/{value:path}", methods=["GET", "PATCH", "DELETE"])
    async def by_external(version: str, obj: str, field: str, value: str, req: Request) -> Response:
        handler = {"GET": read_by_external, "PATCH": upsert, "DELETE": delete_by_external}[req.method]
        return await handler(version, obj, field, value, req)

    async def read_by_external(version: str, obj: str, field: str, value: str, req: Request) -> Response:
        obj, hits, many = _by_external(version, obj, field, value)
        if many:
            return many
        if not hits:
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        return json_response(org.public(obj, hits[0], version))

    async def delete_by_external(version: str, obj: str, field: str, value: str, req: Request) -> Response:
        obj, hits, many = _by_external(version, obj, field, value)
        if many:
            return many
        if not hits:
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        if req.scope["state"].get("lock_fault"):
            raise lock_error(hits[0]["Id"])
        org.delete(obj, hits[0]["Id"])
        return Response(status_code=204)

    async def upsert(version: str, obj: str, field: str, value: str, req: Request) -> Response:
        obj = org.check_object(obj)
        body = await body_of(req)
        api = org.schema.field_name(obj, field) or field
        if any(org.schema.field_name(obj, k) in (api, "Id") for k in body if k != "attributes"):
            raise RecordError("INVALID_FIELD", f"The external ID field {api} or Id should not be in the body "
                              "of an upsert", [api])
        obj, hits, many = _by_external(version, obj, field, value)
        if many:
            return many
        if req.scope["state"].get("lock_fault"):
            raise lock_error(hits[0]["Id"] if hits else None)
        kw = {"assign": assign_rule(req), "allow_save": allow_save(req), "version": version}
        if not hits and api == "Id":
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        if hits:
            rec = org.prepare_update(obj, hits[0]["Id"], body, **kw)
            org.commit(obj, [rec])
            return json_response({"id": rec["Id"], "success": True, "errors": [], "created": False}, 200)
        rec = org.prepare_create(obj, {**body, api: value}, **kw)
        org.commit(obj, [rec])
        return json_response({"id": rec["Id"], "success": True, "errors": [], "created": True}, 201)
