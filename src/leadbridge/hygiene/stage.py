"""Hygiene rules as a write stage: triggers come from the incoming change, actions run in rule order.

Loops are impossible by construction: triggers are computed once, from the fields the incoming
change really changed, before any rule acts; what rules set never triggers rules (their own or others').
Values a rule sets are normalized and checked by the standards like incoming values; flags are kept
in data_issues beside the standards' own issues (hygiene/flags.py).
"""

from __future__ import annotations

from leadbridge.hygiene import flags, follow_up
from leadbridge.hygiene.config import HygieneConfig
from leadbridge.hygiene.rules import CompiledRule, compile_rules
from leadbridge.model import where as w
from leadbridge.model.changes import SourceKind
from leadbridge.routing import stage as routing
from leadbridge.sourcing.derive import SourceDeriver
from leadbridge.standards.normalize import normalize_record
from leadbridge.standards.stage import WATCHED, StandardsStage
from leadbridge.writepath.item import PendingItem, WriteContext

_UNTOUCHED = {SourceKind.MERGE, SourceKind.SYSTEM}  # flags are left as the merge (or undo) set them


class HygieneStage:
    name = "hygiene"
    snapshot_safe = True  # reads nothing from the store while preparing (see WriteStage)

    def __init__(self, cfg: HygieneConfig | None = None):
        self.cfg = cfg  # None: the workspace's current config, read at each batch
        # a cache of the compiled config (not batch state): (config as JSON, object definition, rules)
        self._compiled: tuple[str, object, list[CompiledRule]] | None = None

    def rules(self, cfg: HygieneConfig, obj) -> list[CompiledRule]:
        """The compiled rules of `cfg` (ConfigError if one does not fit the schema); cached per config."""
        c, text = self._compiled, cfg.model_dump_json()
        if c is None or c[0] != text or c[1] is not obj:
            self._compiled = c = (text, obj, compile_rules(cfg, obj))
        return c[2]

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        if ctx.obj.name != "person" or ctx.source.kind in _UNTOUCHED:
            return
        cfg = self.cfg or ctx.config.hygiene
        if not cfg.rules:
            return
        rules = self.rules(cfg, ctx.obj)
        acting = [r for r in rules if ctx.source.kind in r.sources]
        later = follow_up.FollowUps()
        for item in items:
            incoming = _really_changed(item)  # fixed before any rule acts: rules never retrigger rules
            touched: set[str] = set()
            raised: list[tuple[str, str]] = []
            for rule in acting:
                if not _triggered(rule, item, incoming, ctx.source.kind):
                    continue
                if rule.when is not None and not w.evaluate(rule.when, item.record, ctx.now):
                    continue
                self._act(rule, item, ctx, touched, raised, later)
            if touched & WATCHED:
                _standards(ctx)([item], ctx)  # what rules set is normalized and checked like input
            if raised or flags.has_flags(item):
                flags.settle(item, rules, raised, ctx.config.standards, ctx.now)
        if later:
            ctx.scratch[self.name] = later

    def _act(self, rule: CompiledRule, item: PendingItem, ctx: WriteContext, touched: set[str],
             raised: list[tuple[str, str]], later: follow_up.FollowUps) -> None:
        note = f"hygiene: rule '{rule.name}'"
        for kind, arg in rule.actions:
            if kind == "set":
                for name, value in arg:
                    if item.record.get(name) != value:
                        item.set(name, value, note=note)
                        touched.add(name)
            elif kind == "normalize":
                norm, _ = _standards(ctx).prepare(ctx.config.standards, ctx.db.objects)
                n = normalize_record(item.record, {arg}, ctx.config.standards, norm).get(arg)
                if n is not None and n.value is not None and n.value != item.record.get(arg):
                    item.set(arg, n.value, note=f"{note}: {n.reason}")
            elif kind == "flag":
                raised.append((arg, rule.name))
            elif kind == "derive_source":
                if not item.record.get("person_source"):
                    value, why = _deriver(ctx).derive(item.record, ctx.now)
                    if value:
                        item.set("person_source", value, note=f"{note}: {why}")
            elif kind == "route":
                routing.route(item, ctx, f"{note}: ")
            elif kind == "add_to_list":
                later.lists[arg].append((item.index, rule.name))
            else:
                later.syncs.append((item.index, rule.name))

    def persisted(self, items: list[PendingItem], ctx: WriteContext) -> None:
        routing.save(items, ctx)  # decisions of `route` actions (a no-op if the routing stage saved them)
        later: follow_up.FollowUps | None = ctx.scratch.pop(self.name, None)
        if later:
            follow_up.run(later, items, ctx)


def _standards(ctx: WriteContext) -> StandardsStage:
    """The workspace's standards stage (its normalizer knows the CRM's picklists), or a bare one."""
    stage = ctx.stage(StandardsStage.name)
    if stage is None:
        stage = ctx.scratch.setdefault("hygiene:standards", StandardsStage())
    return stage


def _deriver(ctx: WriteContext) -> SourceDeriver:
    deriver = ctx.scratch.get("hygiene: deriver")
    if deriver is None:
        deriver = ctx.scratch["hygiene: deriver"] = SourceDeriver(ctx.config.person_source)
    return deriver


def _really_changed(item: PendingItem) -> set[str]:
    """Fields of the incoming change whose value differs from the stored one (all of them for a new record)."""
    if item.existing is None:
        return set(item.change.values)
    before, after = item.existing, item.record
    return {f for f in item.change.values if after.get(f) != before.get(f)}


def _triggered(rule: CompiledRule, item: PendingItem, incoming: set[str], kind: SourceKind) -> bool:
    for t in rule.rule.trigger:
        if t == "created" and item.is_new:
            return True
        if t == "changed" and not item.is_new and (incoming & rule.fields if rule.fields else incoming):
            return True
        if t == "imported" and kind is SourceKind.LIST_IMPORT:
            return True
        if t == "form" and kind is SourceKind.FORM:
            return True
    return False
