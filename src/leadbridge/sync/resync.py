"""Put records back on the outbox: failed ones, by code, or by filter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadbridge.store import outbox, sync_state

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace


def resync(ws: "Workspace", *, failed: bool = False, code: str | None = None, where: str | None = None) -> int:
    """Re-queue; returns how many records were queued."""
    ids: list[int] | None = None
    if code:
        ids = [e["record_id"] for e in sync_state.open_errors(ws.db, code)]
    if where:
        matched = [r["id"] for r in ws.list("person", where, columns=["id"], limit=None)]
        ids = matched if ids is None else [i for i in ids if i in set(matched)]
    if code == "CRM_MERGED" and ids:
        sync_state.clear_errors(ws.db, "person", ids)  # someone checked: not duplicates, push them as they are
    if failed or code:
        return outbox.requeue(ws.db, "person", ("failed", "dead"), ids)
    if ids is None:
        ids = [r["id"] for r in ws.list("person", columns=["id"], limit=None)]
    fields = list(ws.config.sync.lead.fields)
    outbox.enqueue(ws.db, "person", ids, fields)
    return len(ids)
