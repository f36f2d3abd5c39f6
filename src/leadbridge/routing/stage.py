"""Routing as a rule acting on entry: new people get territory, time zone and owner as they are written."""

from __future__ import annotations

from leadbridge.routing.config import RoutingConfig
from leadbridge.routing.router import Decision, Router
from leadbridge.store import routing_state
from leadbridge.writepath.item import PendingItem, WriteContext


class RoutingStage:
    name = "routing"

    def __init__(self, cfg: RoutingConfig | None = None):
        self.cfg = cfg  # None: the workspace's current config, read at each batch

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        cfg = self.cfg or ctx.config.routing
        if not cfg.on_entry or ctx.obj.name != "person":
            return
        new = [i for i in items if i.is_new and not i.record.get("owner_id")]
        if not new:
            return
        router = Router(cfg, routing_state.load_counters(ctx.conn, _db(ctx), ctx.now.date()))
        pending: dict[int, Decision] = {}
        ctx.scratch[self.name] = (router, pending)
        owners = routing_state.user_ids(ctx.conn, _db(ctx), [m.user for t in cfg.teams for m in t.members]
                                        + [r.user for r in cfg.rules if r.user])
        for item in new:
            d = router.decide(item.record, ctx.now)
            pending[item.index] = d
            apply(item, d, owners, f"routing: {d.explanation}")

    def persisted(self, items: list[PendingItem], ctx: WriteContext) -> None:
        router, pending = ctx.scratch.pop(self.name, (None, None))
        if not pending:
            return
        decisions = [(i.id, pending[i.index]) for i in items if i.index in pending]
        routing_state.save(ctx.conn, _db(ctx), router.counters, decisions, ctx.now)


def apply(item: PendingItem, d: Decision, owners: dict[str, int], note: str) -> None:
    """Set territory, time zone and owner of a pending person from a decision."""
    if d.territory and item.record.get("territory") != d.territory:
        item.set("territory", d.territory, note=note)
    if d.time_zone and item.record.get("time_zone") != d.time_zone:
        item.set("time_zone", d.time_zone, note=note)
    owner = owners.get((d.user or "").lower())
    if owner and item.record.get("owner_id") != owner:
        item.set("owner_id", owner, note=note)


def _db(ctx: WriteContext):
    return ctx.db
