"""Registration source on entry: how a new person came, stamped from the write's source.

Like Marketo's Registration Source Type/Info: a list import gives `List Import` / the list name, a
form `Web Form` / the form, a CRM pull `Salesforce` / the CRM object, the API `Web Service API`, the UI
`Manual` / who. Values the incoming change carries are kept. The default person-source rules read them
(`List Import: <list name>`).
"""

from __future__ import annotations

from leadbridge.model.changes import Source, SourceKind
from leadbridge.writepath.item import PendingItem, WriteContext

TYPES = {SourceKind.LIST_IMPORT: "List Import", SourceKind.FORM: "Web Form", SourceKind.API: "Web Service API",
         SourceKind.UI: "Manual", SourceKind.DEMO: "Demo"}
CRM_NAMES = {"salesforce": "Salesforce", "hubspot": "HubSpot"}


def registration(source: Source, system: str = "salesforce") -> tuple[str, str | None] | None:
    """(type, info) for people created by a write from `source`, or None (merges, system, rule writes)."""
    if source.kind is SourceKind.CRM:
        return CRM_NAMES.get(system, system.title()), source.detail
    kind = TYPES.get(source.kind)
    if kind is None:
        return None
    info = source.detail or (source.actor if source.kind in (SourceKind.UI, SourceKind.API) else None)
    return kind, info


class RegistrationStage:
    name = "registration source"
    snapshot_safe = True  # reads nothing from the store while preparing (see WriteStage)

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        if ctx.obj.name != "person" or not ctx.config.person_source.stamp_registration:
            return
        stamp = registration(ctx.source, getattr(ctx.writer, "system", "salesforce"))
        if stamp is None:
            return
        kind, info = stamp
        note = f"registration source: {ctx.source}"
        for item in items:
            if item.is_new and not item.record.get("registration_source_type") \
                    and not item.record.get("registration_source_info"):
                item.set("registration_source_type", kind, note=note)
                if info:
                    item.set("registration_source_info", info[:255], note=note)
