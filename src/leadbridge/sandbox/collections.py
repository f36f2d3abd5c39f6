"""sObject Collections: create, update, upsert, delete and retrieve up to 200 records per call.

One result per record, in order, errors with `statusCode`. Later records of a call see the
earlier ones (so two upserts of one external id in one call are one record), and with
`allOrNone` a single failure rolls every record back (ALL_OR_NONE_OPERATION_ROLLED_BACK).
A value of the wrong type fails the whole request (JSON_PARSER_ERROR), as Salesforce's
deserialiser does before any record is saved.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from leadbridge.sandbox import ids
from leadbridge.sandbox.records import allow_save, assign_rule, body_of, json_response, lock_error
from leadbridge.sandbox.validation import ParseError, RecordError

MAX_COLLECTION = 200
ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "Record rolled back because not all "
               "records were valid and the request was using AllOrNone header", "fields": []}


def _too_many() -> RecordError:
    return RecordError("EXCEEDED_ID_LIMIT", f"record limit reached. cannot submit more than {MAX_COLLECTION} records "
                       "into this call", [])


def _flag(value: Any) -> bool:
    return str(value).strip().lower() == "true"


def _fail(exc: RecordError, rid: str | None = None) -> dict[str, Any]:
    out = {"success": False, "errors": [exc.as_collection()]}
    return {"id": rid, **out} if rid else out


def write(sb: Any, req: Request, body: dict[str, Any], op: str, obj: str | None, field: str | None,
          version: str) -> list[dict[str, Any]]:
    """create | update | upsert a collection; one result per record, in order."""
    org = sb.org
    records = body.get("records")
    if not isinstance(records, list):
        raise ParseError("records: Cannot deserialize a list of sObjects")
    if len(records) > MAX_COLLECTION:
        raise _too_many()
    all_or_none = _flag(body.get("allOrNone", False))
    locked_all = bool(req.scope["state"].get("lock_fault"))
    kw = {"assign": assign_rule(req), "allow_save": allow_save(req), "version": version}
    undo: list = []
    saved: dict[str, list[dict[str, Any]]] = {}
    results: list[dict[str, Any]] = []
    try:
        for r in records:
            if not isinstance(r, dict):
                raise ParseError("Cannot deserialize instance of an sObject")
            rid = None
            try:
                rtype = obj or (r.get("attributes") or {}).get("type")
                if not rtype:
                    raise RecordError("INVALID_TYPE", "Must send a concrete entity type.", [])
                name = org.object_name(rtype)
                if name is None:
                    raise RecordError("INVALID_TYPE", f"sObject type '{rtype}' is not supported.", [])
                values = {k: v for k, v in r.items() if k != "attributes"}
                if op == "update":
                    rid = values.pop("Id", None) or (r.get("attributes") or {}).get("id")
                    if not rid:
                        raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
                if locked_all or sb.faults.lock_record(req.url.path):
                    raise lock_error(rid)
                if op == "create":
                    rec, created = org.prepare_create(name, values, **kw), True
                elif op == "update":
                    rec, created = org.prepare_update(name, rid, values, **kw), False
                else:
                    api = org.schema.field_name(name, field) or field
                    key = values.get(api, next((v for k, v in values.items() if k.lower() == api.lower()), None))
                    if key in (None, ""):
                        raise RecordError("MISSING_ARGUMENT", f"{api} not specified", [api])
                    hits = org.find_external(name, api, key)
                    if len(hits) > 1:
                        raise RecordError("DUPLICATE_EXTERNAL_ID", f"{api}: more than one record found for external id "
                                          f"field: {[h['Id'] for h in hits]}", [api])
                    rest = {k: v for k, v in values.items() if k.lower() != api.lower()}
                    if hits:
                        rec, created = org.prepare_update(name, hits[0]["Id"], rest, **kw), False
                    else:
                        rec, created = org.prepare_create(name, {**rest, api: key}, **kw), True
                undo += org.stage(name, [rec])  # later records of the call see this one
                saved.setdefault(name, []).append(rec)
                res = {"id": rec["Id"], "success": True, "errors": []}
                if op == "upsert":
                    res["created"] = created
                results.append(res)
            except ParseError:
                raise
            except RecordError as exc:
                results.append(_fail(exc, rid if op == "update" else None))
    except ParseError:
        org.unstage(undo)
        raise
    if all_or_none and any(not r["success"] for r in results):
        org.unstage(undo)
        return [r if not r["success"] else {"success": False, "errors": [dict(ROLLED_BACK)]}
                for r in results]
    org.store.save_many(saved)
    return results


def delete(sb: Any, req: Request) -> list[dict[str, Any]]:
    org = sb.org
    raw = [i.strip() for i in (req.query_params.get("ids") or "").split(",") if i.strip()]
    if not raw:
        raise RecordError("MISSING_ARGUMENT", "Missing required parameter: ids")
    if len(raw) > MAX_COLLECTION:
        raise _too_many()
    all_or_none = _flag(req.query_params.get("allOrNone") or "false")
    locked_all = bool(req.scope["state"].get("lock_fault"))
    plan: list[tuple[str, str | None, RecordError | None]] = []
    for rid in raw:
        try:
            if not ids.looks_like_id(rid):
                raise RecordError("MALFORMED_ID", f"malformed id {rid}", [])
            obj = org.object_for_id(rid)
            if obj is None or ids.canonical(rid) not in org.store.table(obj):
                gone = obj is not None and ids.canonical(rid) in org.store.deleted.get(obj, {})
                raise RecordError("ENTITY_IS_DELETED", "entity is deleted", []) if gone else \
                    RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
            org.check_delete(obj, rid)
            if locked_all or sb.faults.lock_record(req.url.path):
                raise lock_error(rid)
            plan.append((rid, obj, None))
        except RecordError as exc:
            plan.append((rid, None, exc))
    if all_or_none and any(exc for *_, exc in plan):
        return [_fail(exc, rid) if exc else {"id": rid, "success": False, "errors": [dict(ROLLED_BACK)]}
                for rid, _, exc in plan]
    out = []
    for rid, obj, exc in plan:
        if exc is None:
            try:
                org.delete(obj, rid)
            except RecordError as err:  # deleted meanwhile by an earlier id's cascade
                exc = err
        out.append(_fail(exc, rid) if exc else {"id": rid, "success": True, "errors": []})
    return out


def register(app: FastAPI, sb: Any) -> None:
    org = sb.org
    base = "/services/data/v{version}/composite/sobjects"

    @app.post(base)
    @app.patch(base)
    async def create_or_update(version: str, req: Request) -> Response:
        op = "create" if req.method == "POST" else "update"
        return json_response(write(sb, req, await body_of(req), op, None, None, version))

    @app.delete(base)
    async def delete_many(version: str, req: Request) -> Response:
        return json_response(delete(sb, req))

    @app.patch(base + "/{obj}/{field}")
    async def upsert(version: str, obj: str, field: str, req: Request) -> Response:
        obj = org.check_object(obj)
        return json_response(write(sb, req, await body_of(req), "upsert", obj, field, version))

    @app.get(base + "/{obj}")
    @app.post(base + "/{obj}")
    async def retrieve(version: str, obj: str, req: Request) -> Response:
        obj = org.check_object(obj)
        if req.method == "POST":
            body = await body_of(req)
            wanted, fields = body.get("ids") or [], body.get("fields") or []
        else:
            wanted = [i for i in (req.query_params.get("ids") or "").split(",") if i]
            fields = [f for f in (req.query_params.get("fields") or "").split(",") if f]
        if len(wanted) > 2000:
            raise _too_many()
        names = []
        for f in fields:
            api = org.schema.field_name(obj, f.strip())
            if api is None:
                raise RecordError("INVALID_FIELD", f"No such column '{f}' on entity '{obj}'", [f])
            names.append(api)
        out = []
        for rid in wanted:
            rec = org.store.get(obj, ids.canonical(rid)) if ids.looks_like_id(rid) else None
            out.append(org.public(obj, rec, version, names or None) if rec else None)
        return json_response(out)
