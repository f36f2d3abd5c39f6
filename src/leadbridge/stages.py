"""The write stages plugged into every workspace's write path, in order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadbridge.writepath import WriteStage

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace


def default_stages(ws: "Workspace") -> list[WriteStage]:
    """registration source (new people) → standards (normalize + validate) → hygiene rules → person source
    (new people) → routing (territory and time zone always, owners for new people).

    The rules of leadbridge.yaml are checked against the schema here, so a rule naming an unknown
    field fails when the workspace opens, not in the middle of a write."""
    registration, standards_type, hygiene, sourcing, routing = default_stage_types()
    check_rules(ws)
    standards = standards_type(root=ws.root)
    standards.prepare(ws.config.standards, ws.db.objects)  # a bad rule fails when the workspace opens, not mid-write
    return [registration(), standards, hygiene(), sourcing(), routing()]


def default_stage_types() -> tuple[type, ...]:
    """The classes of the default stages, in order (a parallel import's workers run exactly these)."""
    from leadbridge.hygiene.stage import HygieneStage
    from leadbridge.routing.stage import RoutingStage
    from leadbridge.sourcing.registration import RegistrationStage
    from leadbridge.sourcing.stage import SourcingStage
    from leadbridge.standards.stage import StandardsStage
    return (RegistrationStage, StandardsStage, HygieneStage, SourcingStage, RoutingStage)


def check_rules(ws: "Workspace") -> None:
    """ConfigError (naming the rule) if a hygiene, routing or person-source rule does not fit the schema."""
    from leadbridge.errors import ConfigError, FilterError
    from leadbridge.hygiene.rules import compile_rules
    from leadbridge.model import where as w
    from leadbridge.store.where_sql import filter_fields
    person = ws.db.objects["person"]
    compile_rules(ws.config.hygiene, person)
    fields = filter_fields(person.by_name)
    for section, rules in (("routing.rules", ws.config.routing.rules), ("person_source.rules",
                                                                        ws.config.person_source.rules)):
        for rule in rules:
            try:
                w.parse(rule.when, fields)
            except FilterError as exc:
                raise ConfigError(f"{section}: rule {rule.name!r}: {exc}",
                                  hint=exc.hint or "fix the rule's `when` in leadbridge.yaml") from None
