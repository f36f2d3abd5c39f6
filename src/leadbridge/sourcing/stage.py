"""Person source on entry: new people without a source get one derived as they are written."""

from __future__ import annotations

from leadbridge.sourcing.config import PersonSourceConfig
from leadbridge.sourcing.derive import SourceDeriver
from leadbridge.writepath.item import PendingItem, WriteContext


class SourcingStage:
    name = "person source"

    def __init__(self, cfg: PersonSourceConfig | None = None):
        self.cfg = cfg  # None: the workspace's current config, read at each batch
        self._deriver: tuple[PersonSourceConfig, SourceDeriver] | None = None

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        cfg = self.cfg or ctx.config.person_source
        if not cfg.on_entry or ctx.obj.name != "person":
            return
        if self._deriver is None or self._deriver[0] is not cfg:
            self._deriver = (cfg, SourceDeriver(cfg))
        deriver = self._deriver[1]
        for item in items:
            if item.is_new and not item.record.get("person_source"):
                value, why = deriver.derive(item.record, ctx.now)
                if value:
                    item.set("person_source", value, note=f"person source: {why}")
