"""Routing in the write path: territory and time zone kept current, owners for new people, `route run`.

What happens per write (people only; merges and system writes are left alone):
- a new person without an owner, not from the CRM: routed (territory, time zone, owner) when `on_entry`;
- any other new person, and a person whose country or state changed: territory and time zone follow
  (re-routed instead when `reroute_on_location_change`, except for CRM pulls: the CRM owns its owners);
- a `route run` batch (source `routing`, detail `route run[ --reassign]`): every person is routed
  inside the batch's transaction, people with an owner only with `--reassign`.
Decisions and the distribution counters are read and written in the batch's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadbridge.model.changes import Source, SourceKind
from leadbridge.routing.config import RoutingConfig
from leadbridge.routing.router import Decision, Router
from leadbridge.store import routing_state
from leadbridge.store.where_sql import filter_fields
from leadbridge.writepath.item import PendingItem, WriteContext

RUN = "route run"
REASSIGN = "route run --reassign"
UNTOUCHED = frozenset({SourceKind.MERGE, SourceKind.SYSTEM})
_KEY = "routing"


def run_source(reassign: bool) -> Source:
    """The source of a `route run` batch."""
    return Source(SourceKind.ROUTING, REASSIGN if reassign else RUN)


@dataclass
class RoutingBatch:
    """One batch's router (counters loaded in the batch's transaction) and the decisions it made."""

    router: Router
    decisions: dict[int, Decision] = field(default_factory=dict)  # item index → decision
    notes: dict[tuple[str, int], str] = field(default_factory=dict)  # (prefix, id of a decision kept above) → note

    def routed(self, item: PendingItem) -> bool:
        return item.index in self.decisions


def batch_of(ctx: WriteContext, cfg: RoutingConfig | None = None) -> RoutingBatch:
    """The batch's routing state, shared by the routing stage and hygiene's `route` action."""
    state = ctx.scratch.get(_KEY)
    if state is None:
        cfg = cfg or ctx.config.routing
        fields = filter_fields(ctx.obj.by_name)
        counters, users = ctx.read(_KEY, lambda conn: (routing_state.load_counters(conn, ctx.db),
                                                       routing_state.users(conn, ctx.db, cfg.user_emails())))
        router = Router(cfg, counters, fields, users)
        state = ctx.scratch[_KEY] = RoutingBatch(router)
    return state


def route(item: PendingItem, ctx: WriteContext, note: str, *, owner: bool = True,
          cfg: RoutingConfig | None = None) -> Decision:
    """Route one pending person: territory and time zone, and the owner when `owner` (never from the CRM)."""
    state = batch_of(ctx, cfg)
    d = state.router.decide(item.record, ctx.now)
    state.decisions[item.index] = d
    text = state.notes.get((note, id(d)))
    if text is None:
        text = state.notes[(note, id(d))] = f"{note}{d.explanation}"
    apply(item, d, text, owner=owner and not ctx.source.kind.is_crm)
    return d


def locate(item: PendingItem, ctx: WriteContext, cfg: RoutingConfig | None = None) -> None:
    """Territory and time zone from the person's location (kept when the location is unknown)."""
    territory, _, tz, cc = batch_of(ctx, cfg).router.locate(item.record)
    where = f"country={cc}" + (f", state={item.record.get('state')}" if item.record.get("state") else "")
    if territory and item.record.get("territory") != territory:
        item.set("territory", territory, note=f"routing: territory {territory} from {where}")
    if tz and item.record.get("time_zone") != tz:
        item.set("time_zone", tz, note=f"routing: time zone from {where}")


def apply(item: PendingItem, d: Decision, note: str, *, owner: bool = True) -> None:
    """Set territory, time zone and owner of a pending person from a decision. An unknown location keeps
    the territory and zone it had; a fallback without a fallback user keeps the owner it had."""
    if d.territory and item.record.get("territory") != d.territory:
        item.set("territory", d.territory, note=note)
    if d.time_zone and item.record.get("time_zone") != d.time_zone:
        item.set("time_zone", d.time_zone, note=note)
    if owner and d.owner_id and item.record.get("owner_id") != d.owner_id:
        item.set("owner_id", d.owner_id, note=note)


def save(items: list[PendingItem], ctx: WriteContext) -> None:
    """Store the batch's decisions and counters (once, whichever stage calls it first)."""
    state: RoutingBatch | None = ctx.scratch.pop(_KEY, None)
    if state is None:
        return
    decisions = [(i.id, state.decisions[i.index]) for i in items if i.index in state.decisions]
    routing_state.save(ctx.conn, ctx.db, state.router.counters, decisions, ctx.now, ctx.batch_id)


def _moved(item: PendingItem) -> bool:
    before = item.existing or {}
    return any(item.record.get(f) != before.get(f) for f in ("country", "state"))


class RoutingStage:
    name = "routing"
    snapshot_safe = True  # counters and users are read through ctx.read

    def __init__(self, cfg: RoutingConfig | None = None):
        self.cfg = cfg  # None: the workspace's current config, read at each batch

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        if ctx.obj.name != "person" or ctx.source.kind in UNTOUCHED:
            return
        cfg = self.cfg or ctx.config.routing
        run = ctx.source.kind is SourceKind.ROUTING and ctx.source.detail in (RUN, REASSIGN)
        from_crm = ctx.source.kind.is_crm
        state = ctx.scratch.get(_KEY)
        for item in items:
            if state is not None and state.routed(item):
                continue  # a hygiene rule routed it in this batch already
            if run:  # route run picked these people: unowned ones, or everyone with --reassign
                if ctx.source.detail == REASSIGN or not item.record.get("owner_id"):
                    route(item, ctx, "routing: ", cfg=cfg)
                else:
                    locate(item, ctx, cfg)
            elif item.is_new:
                if cfg.on_entry and not from_crm and not item.record.get("owner_id"):
                    route(item, ctx, "routing: ", cfg=cfg)
                else:
                    locate(item, ctx, cfg)
            elif _moved(item):
                if cfg.reroute_on_location_change and not from_crm:
                    route(item, ctx, "routing (location changed): ", cfg=cfg)
                else:
                    locate(item, ctx, cfg)

    def persisted(self, items: list[PendingItem], ctx: WriteContext) -> None:
        save(items, ctx)
