"""The standards stage of the write path: normalize changed fields, then check rules (reject/flag/keep).

It runs on every write of people and companies. A record is checked when the change touches
a normalized field, a rule's field or a field a rule's `when` reads; `standards apply`
(source `standards`) checks every field. Each distinct value is normalized and each rule
checked once per value (the Normalizer's and the rules' caches), so a batch costs a few
dictionary look-ups per row.

Contract with the other stages on `data_issues` and `data_invalid`:
- entries this stage writes start with ``standards: `` (older unprefixed entries named after a
  configured rule count as its own too); on every run it replaces exactly those entries;
- every other entry (hygiene's ``hygiene: …`` flags, anything another stage wrote) is kept, in
  its order, before the standards entries;
- it sets ``data_invalid`` when one of its `flag` rules fails; with none failing it clears
  ``data_invalid`` only if no other stage's entry remains.

Writes whose source detail starts with ``standards revert`` pass untouched (neither normalized nor
checked), so a revert puts back exactly what the run changed, flags included.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from leadbridge.crm import describe_cache
from leadbridge.model.changes import SourceKind
from leadbridge.standards import picklists
from leadbridge.standards.config import StandardsConfig
from leadbridge.standards.emailflags import _CLEAN, email_outcome
from leadbridge.standards.normalizer import Normalizer
from leadbridge.standards.rules import RuleSet, compile_rules
from leadbridge.writepath.item import PendingItem, WriteContext

OWN = "standards: "
REVERT_DETAIL = "standards revert"
# object → field → normalizer (the names `standards.normalize` lists)
NORMALIZED: dict[str, dict[str, str]] = {
    "person": {"country": "country", "state": "state", "email": "email", "phone": "phone", "mobile_phone": "phone",
               "first_name": "names", "last_name": "names", "company": "company", "website": "website"},
    "company": {"name": "company", "country": "country", "state": "state", "phone": "phone", "website": "website"},
}
WATCHED = set(NORMALIZED["person"])  # kept for callers that list the person fields the stage normalizes
_PLAIN = {"email": "email", "names": "name", "company": "company", "website": "website"}


class StandardsStage:
    """Normalizers on changed fields, then the rules on the result (see the module docstring)."""

    name = "standards"

    def __init__(self, cfg: StandardsConfig | None = None, root: Path | None = None):
        self.cfg = cfg  # None: the workspace's current config, read at each batch
        self.root = root  # the workspace folder: its cached CRM describe gives picklists
        self._prepared: tuple[Any, Normalizer, dict[str, RuleSet]] | None = None

    def prepare(self, cfg: StandardsConfig, objects: dict) -> tuple[Normalizer, dict[str, RuleSet]]:
        """The Normalizer and compiled rules for `cfg`, rebuilt when the config or the describe changes."""
        pick = picklists.load(self.root)
        stamp = (id(cfg), tuple(map(id, cfg.rules)), id(pick), _describe_stamp(self.root))
        if self._prepared is None or self._prepared[0] != stamp:
            def crm(ref: str):
                obj, _, field = ref.partition(".")
                return describe_cache.picklist(self.root, obj, field) if self.root else None
            rules = {o: compile_rules(cfg, o, objects[o].field_names, crm) for o in NORMALIZED if o in objects}
            self._prepared = (stamp, Normalizer(cfg, pick), rules)
        return self._prepared[1], self._prepared[2]

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        cfg = self.cfg or ctx.config.standards
        obj = ctx.obj.name
        if not cfg.enabled or obj not in NORMALIZED:
            return
        objects = ctx.db.objects if ctx.db is not None else {obj: ctx.obj}
        norm, all_rules = self.prepare(cfg, objects)
        rules = all_rules[obj]
        fields = NORMALIZED[obj]
        trigger = set(fields) | rules.fields
        full = ctx.source.kind is SourceKind.STANDARDS
        if full and (ctx.source.detail or "").startswith(REVERT_DETAIL):
            return
        own_names = {r.name for r in cfg.rules}
        every = set(fields) | rules.fields
        work = [(item, every if full else item.applied & trigger) for item in items]
        work = [(item, changed) for item, changed in work if changed]
        if not work:
            return
        _normalize_columns(work, fields, cfg, norm, rules)
        records = [item.record for item, _ in work]
        ccs = [norm.country_iso(rec.get("country")) for rec in records]
        violations = rules.check_many(records, ccs, norm)
        email_memo: dict[tuple, Any] = {}
        person = obj == "person"
        for (item, changed), found in zip(work, violations):
            rec = item.record
            email = None
            if person:
                k = (rec.get("email"), rec.get("email_flags"), rec.get("is_test"))
                email = email_memo.get(k)
                if email is None:
                    email = email_memo[k] = email_outcome(rec, cfg.email, norm)
                if full or "email" in changed:
                    for f, v in email.fields.items():
                        if rec.get(f) != v:
                            item.set(f, v)
                if email is _CLEAN:
                    email = None
            if not found and email is None:  # nothing wrong: only clear what an earlier write recorded
                if rec.get("data_issues") or rec.get("data_invalid"):
                    _record_issues(item, [], [], own_names)
                continue
            rejects = [f"{v.rule}: {v.message}" for v in found if v.action == "reject"]
            if email is not None and email.rejects:
                rejects += email.rejects
            if rejects:
                item.reasons += rejects
                continue
            flagged = [v.rule for v in found if v.action == "flag"]
            own = [f"{OWN}{v.rule}: {_clean(v.message)}" for v in found]
            if email is not None:
                flagged += email.flagged
                own += [f"{OWN}{text}" for text in email.issues]
            _record_issues(item, own, flagged, own_names)
            item.flags += flagged


@lru_cache(maxsize=65536)
def _note(reason: str) -> str:
    return f"standards: {reason}"


def _normalize_columns(work: list[tuple[PendingItem, set[str]]], fields: dict[str, str], cfg: StandardsConfig,
                       norm: Normalizer, rules: RuleSet) -> None:
    """Normalize field by field over the batch (each distinct value once, through the Normalizer's caches)."""
    on = set(cfg.normalize)
    country_on, state_on = "country" in on and "country" in fields, "state" in on and "state" in fields
    e164 = cfg.phone_format == "e164" and "phone" in on
    plain = [(f, getattr(norm, _PLAIN[k])) for f, k in fields.items() if k in _PLAIN and k in on]
    phones = [f for f, k in fields.items() if k == "phone"] if e164 else []
    for item, changed in work:
        rec = item.record
        country_changed = "country" in changed
        value = rec.get("country")
        if country_on and country_changed and value is not None:
            n = norm.country(value)
            if n.code and n.value != value:
                item.set("country", n.value, note=_note(n.reason))
        cc = norm.country_iso(rec.get("country"))
        value = rec.get("state")
        if state_on and value is not None and cc and (country_changed or "state" in changed):
            n = norm.state(value, cc)
            if n.code and n.value != value:
                item.set("state", n.value, note=_note(n.reason))
        for f in phones:
            value = rec.get(f)
            if value is not None and (f in changed or country_changed):
                n = norm.phone(value, cc)
                if n.ok and n.value != value:
                    item.set(f, n.value, note=_note(n.reason))
        for f, fn in plain:
            value = rec.get(f)
            if value is None or f not in changed:
                continue
            n = fn(value)
            if n.ok and n.value is not None and n.value != value:
                item.set(f, n.value, note=_note(n.reason))
        if rules.picklists:
            for f in changed & rules.picklists.keys():
                fix = rules.picklist_fix(f, rec.get(f))
                if fix is not None:
                    item.set(f, fix, note=f"standards: {rec.get(f)!r} → picklist value {fix!r}")


def _clean(text: str) -> str:
    return text.replace(";", ",").replace("\n", " ")


def is_own(entry: str, rule_names: set[str]) -> bool:
    """Whether a data_issues entry was written by the standards stage (see the module docstring)."""
    return entry.startswith(OWN) or entry.split(": ", 1)[0] in rule_names


def _record_issues(item: PendingItem, own: list[str], flagged: list[str], rule_names: set[str]) -> None:
    rec = item.record
    current = rec.get("data_issues") or ""
    foreign = [e for e in (p.strip() for p in current.split("; ")) if e and not is_own(e, rule_names)]
    issues = "; ".join(foreign + own) or None
    if flagged:
        invalid = True
    elif foreign:
        invalid = rec.get("data_invalid")  # another stage's issue remains: its verdict stands
    else:
        invalid = None
    if "data_invalid" in item.record or invalid is not None:
        if rec.get("data_invalid") != invalid:
            item.set("data_invalid", invalid)
    if rec.get("data_issues") != issues:
        item.set("data_issues", issues)


def _describe_stamp(root: Path | None) -> tuple:
    if root is None:
        return ()
    folder = Path(root) / describe_cache.FOLDER
    try:
        return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.json")))
    except OSError:
        return ()
