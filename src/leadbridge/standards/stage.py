"""The standards stage of the write path: normalize changed fields, then check rules (reject/flag/keep)."""

from __future__ import annotations

from leadbridge.standards.config import StandardsConfig
from leadbridge.standards.normalize import normalize_record
from leadbridge.standards.rules import check_record
from leadbridge.writepath.item import PendingItem, WriteContext

WATCHED = {"country", "state", "email", "phone", "mobile_phone", "first_name", "last_name", "company", "title",
           "city", "postal_code", "website"}


class StandardsStage:
    """Runs on every write of people: normalizers on changed fields, then the rules on the result."""

    name = "standards"

    def __init__(self, cfg: StandardsConfig | None = None):
        self.cfg = cfg  # None: the workspace's current config, read at each batch

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        cfg = self.cfg or ctx.config.standards
        if not cfg.enabled or ctx.obj.name != "person":
            return
        for item in items:
            changed = item.applied & WATCHED
            if not changed:
                continue
            for field, n in normalize_record(item.record, changed, cfg).items():
                if n.value is not None and n.value != item.record.get(field):
                    item.set(field, n.value, note=f"standards: {n.reason}")
                if field == "email":
                    self._email_flags(item, n)
            violations = check_record(item.record, cfg)
            rejects = [v for v in violations if v.action == "reject"]
            if rejects:
                item.reasons += [f"{v.rule}: {v.message}" for v in rejects]
                continue
            flags = [v for v in violations if v.action == "flag"]
            issues = "; ".join(f"{v.rule}: {v.message}" for v in violations) or None
            invalid = True if flags else None
            if item.record.get("data_invalid") != invalid:
                item.set("data_invalid", invalid)
            if item.record.get("data_issues") != issues:
                item.set("data_issues", issues)
            item.flags += [v.rule for v in flags]

    @staticmethod
    def _email_flags(item: PendingItem, n) -> None:
        invalid = "invalid" in n.flags
        reason = n.reason if invalid else ("disposable domain" if "disposable" in n.flags else None)
        if item.record.get("email_invalid") != (True if invalid else None):
            item.set("email_invalid", True if invalid else None)
        if item.record.get("email_invalid_reason") != reason:
            item.set("email_invalid_reason", reason)
