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
from itertools import repeat
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
    snapshot_safe = True  # reads nothing from the store while preparing (see WriteStage)

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
        ccs, columns = _normalize_columns(work, fields, cfg, norm, rules)
        records = [item.record for item, _ in work]
        violations = rules.check_many(records, ccs, norm, columns)
        email_memo: dict[tuple, Any] = {}
        person = obj == "person"
        plain_email = person and not (cfg.email.not_disposable or cfg.email.disposable_domains or cfg.email.test_domains)
        for (item, changed), found in zip(work, violations):
            rec = item.record
            email = None
            if person:
                address = rec.get("email")
                if plain_email and address is not None and not norm.email(address).flags \
                        and rec.get("email_flags") is None:
                    email = _CLEAN  # a clean address on a record without flags: the common case, no work
                else:
                    k = (address, rec.get("email_flags"), rec.get("is_test"))
                    email = email_memo.get(k)
                    if email is None:
                        email = email_memo[k] = email_outcome(rec, cfg.email, norm)
                if (full or "email" in changed) and not (email is _CLEAN and item.existing is None):
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
                       norm: Normalizer, rules: RuleSet) -> tuple[list[str | None], dict[str, list[Any]]]:
    """Normalize field by field over the batch (each distinct value once, through the Normalizer's caches).

    Returns each record's ISO country, and the columns it read (field → each record's value, as
    normalized) for the rules, which read them again. Picklist fixes come last and are not in them."""
    on = set(cfg.normalize)
    items = [item for item, _ in work]
    recs = [item.record for item in items]
    chs = [changed for _, changed in work]
    columns: dict[str, list[Any]] = {}

    def column(field: str) -> list[Any]:
        values = columns[field] = list(map(dict.get, recs, repeat(field)))
        return values

    def everywhere(field: str) -> bool:  # the field is to be normalized on every record of the batch
        return all(map(set.__contains__, chs, repeat(field)))

    def put(field: str, results: list, values: list, need_code: bool) -> None:
        for i in [i for i, n, v in zip(range(len(values)), results, values) if n is not None
                  and n.value is not None and n.value != v and (n.code if need_code else n.ok)]:
            n, item = results[i], items[i]
            values[i] = n.value
            # item.set(field, value, note) inlined: it runs for most fields of most new records
            item.record[field] = n.value
            item.applied.add(field)
            item.notes[field] = _note(n.reason)
            item.staged.add(field)

    if "country" in on and "country" in fields:
        values = column("country")
        put("country", [norm.country(v) if v is not None and "country" in ch else None
                        for v, ch in zip(values, chs)], values, True)
    countries = columns["country"] if "country" in columns else map(dict.get, recs, repeat("country"))
    ccs = list(map(norm.country_iso, countries))
    moved = list(map(set.__contains__, chs, repeat("country")))  # a new country re-reads the state and the phones
    if "state" in on and "state" in fields:
        values = column("state")
        put("state", [norm.state(v, cc) if v is not None and cc and (m or "state" in ch) else None
                      for v, cc, m, ch in zip(values, ccs, moved, chs)], values, True)
    if cfg.phone_format == "e164" and "phone" in on:
        for f in (f for f, k in fields.items() if k == "phone"):
            values = column(f)
            put(f, [norm.phone(v, cc) if v is not None and (m or f in ch) else None
                    for v, cc, m, ch in zip(values, ccs, moved, chs)], values, False)
    for f, kind in fields.items():
        if kind in _PLAIN and kind in on:
            fn = getattr(norm, _PLAIN[kind])
            values = column(f)
            # these normalizers take None (empty): on a batch of new records, one C-level map
            results = list(map(fn, values)) if everywhere(f) else \
                [fn(v) if v is not None and f in ch else None for v, ch in zip(values, chs)]
            put(f, results, values, False)
    if rules.picklists:
        for item, changed in work:
            for f in changed & rules.picklists.keys():
                fix = rules.picklist_fix(f, item.record.get(f))
                if fix is not None:
                    item.set(f, fix, note=f"standards: {item.record.get(f)!r} → picklist value {fix!r}")
                    columns.pop(f, None)
    return ccs, columns


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
