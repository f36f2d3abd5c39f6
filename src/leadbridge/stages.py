"""The write stages plugged into every workspace's write path, in order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadbridge.writepath import WriteStage

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace


def default_stages(ws: "Workspace") -> list[WriteStage]:
    """standards (normalize + validate) → hygiene rules → person source → routing (the last two: new people)."""
    from leadbridge.hygiene.stage import HygieneStage
    from leadbridge.routing.stage import RoutingStage
    from leadbridge.sourcing.stage import SourcingStage
    from leadbridge.standards.stage import StandardsStage
    standards = StandardsStage(root=ws.root)
    standards.prepare(ws.config.standards, ws.db.objects)  # a bad rule fails when the workspace opens, not mid-write
    return [standards, HygieneStage(), SourcingStage(), RoutingStage()]
