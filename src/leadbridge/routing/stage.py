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
        self._pending: dict[int, Decision] = {}
        self._router: Router | None = None

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        self._pending = {}
        cfg = self.cfg or ctx.config.routing
        if not cfg.on_entry or ctx.obj.name != "person":
            return
        new = [i for i in items if i.is_new and not i.record.get("owner_id")]
        if not new:
            return
        router = Router(cfg, routing_state.load_counters(ctx.conn, _db(ctx), ctx.now.date()))
        self._router = router
        owners = routing_state.user_ids(ctx.conn, _db(ctx), [m.user for t in cfg.teams for m in t.members]
                                        + [r.user for r in cfg.rules if r.user])
        for item in new:
            d = router.decide(item.record, ctx.now)
            self._pending[item.index] = d
            apply(item, d, owners, f"routing: {d.explanation}")

    def persisted(self, items: list[PendingItem], ctx: WriteContext) -> None:
        if not self._pending or self._router is None:
            return
        decisions = [(i.id, self._pending[i.index]) for i in items if i.index in self._pending]
        routing_state.save(ctx.conn, _db(ctx), self._router.counters, decisions, ctx.now)
        self._pending = {}


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
