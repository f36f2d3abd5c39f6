"""Person source on entry: new people without a source get one derived as they are written.

A list import also fills the empty source of the existing people it updates, derived as if the list had
registered them (the default rules give `List Import: <list name>`); their registration fields stay as they are.
"""

from __future__ import annotations

from leadbridge.model.changes import SourceKind
from leadbridge.sourcing.config import PersonSourceConfig
from leadbridge.sourcing.registration import registration
from leadbridge.sourcing.derive import SourceDeriver
from leadbridge.store.where_sql import filter_fields
from leadbridge.writepath.item import PendingItem, WriteContext


class SourcingStage:
    name = "person source"
    snapshot_safe = True  # reads nothing from the store while preparing (see WriteStage)

    def __init__(self, cfg: PersonSourceConfig | None = None):
        self.cfg = cfg  # None: the workspace's current config, read at each batch
        self._deriver: tuple[str, SourceDeriver] | None = None  # a cache of the compiled config, not batch state

    def deriver(self, cfg: PersonSourceConfig, obj) -> SourceDeriver:
        text = cfg.model_dump_json()
        if self._deriver is None or self._deriver[0] != text:
            self._deriver = (text, SourceDeriver(cfg, filter_fields(obj.by_name)))
        return self._deriver[1]

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        cfg = self.cfg or ctx.config.person_source
        if not cfg.on_entry or ctx.obj.name != "person":
            return
        stamp = None
        if ctx.source.kind is SourceKind.LIST_IMPORT:
            stamp = registration(ctx.source, getattr(ctx.writer, "system", "salesforce"))
        todo = [i for i in items if (i.is_new or stamp) and not i.record.get("person_source")]
        if not todo:
            return
        deriver = self.deriver(cfg, ctx.obj)
        notes: dict[str, str] = {}  # a batch derives a few distinct reasons: one note string each
        for item in todo:
            record = item.record
            if stamp and not item.is_new:
                record = {**record, "registration_source_type": stamp[0], "registration_source_info": stamp[1]}
            value, why = deriver.derive(record, ctx.now)
            if value:
                note = notes.get(why) or notes.setdefault(why, f"person source: {why}")
                item.set("person_source", value[:255], note=note)
