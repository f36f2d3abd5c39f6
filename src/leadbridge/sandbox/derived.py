"""Fields Salesforce computes on every write: Name, the stage attributes of an Opportunity, HasResponded.

- Lead and Contact `Name` is FirstName + LastName.
- Opportunity `IsClosed` / `IsWon` follow the stage (the OpportunityStage table: Closed Won is
  closed and won, Closed Lost closed and not won); `Probability` and `ForecastCategoryName` take
  the stage's defaults when the stage is set and the write does not give them.
- CampaignMember `Status` defaults to the default member status; `HasResponded` is true when
  the status is a responded one, and `FirstRespondedDate` is set the first time it is.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from leadbridge.sandbox.config import SandboxConfig


def derive(config: SandboxConfig, obj: str, rec: dict[str, Any], values: dict[str, Any], creating: bool) -> None:
    """Set the computed fields of `rec` after `values` (the caller's fields) were applied."""
    if obj in ("Lead", "Contact"):
        rec["Name"] = " ".join(p for p in (rec.get("FirstName"), rec.get("LastName")) if p) or None
    elif obj == "User":
        rec["Name"] = " ".join(p for p in (rec.get("FirstName"), rec.get("LastName")) if p) or rec.get("Name")
    elif obj == "Opportunity":
        stage = next((s for s in config.opportunity_stages if s.name == rec.get("StageName")), None)
        if stage is not None:
            rec["IsClosed"], rec["IsWon"] = stage.closed, stage.won
            stage_set = creating or "StageName" in values
            if stage_set and "Probability" not in values:
                rec["Probability"] = stage.probability
            if stage_set and "ForecastCategoryName" not in values:
                rec["ForecastCategoryName"] = stage.forecast_category
    elif obj == "CampaignMember":
        if creating and rec.get("Status") in (None, ""):
            rec["Status"] = next((s.label for s in config.campaign_member_statuses if s.default), None)
        responded = {s.label.casefold() for s in config.campaign_member_statuses if s.responded}
        rec["HasResponded"] = str(rec.get("Status") or "").casefold() in responded
        if rec["HasResponded"] and not rec.get("FirstRespondedDate"):
            rec["FirstRespondedDate"] = datetime.now(timezone.utc).date().isoformat()
