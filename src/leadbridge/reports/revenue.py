"""Closed-loop reports: which sources and campaigns bring people who convert and revenue that closes.

Attribution (documented in the report itself):
- An opportunity belongs to its company; the people of that company (person.company_id, set by the
  CRM pull from the Contact's AccountId) are its contacts.
- Source report: each opportunity's amount goes to the person source of the company's earliest
  created person (first touch).
- Campaign report: *primary* is the opportunity's own campaign (Salesforce's Primary Campaign
  Source); *influenced* splits an opportunity's amount evenly over every campaign in which one of
  its contacts became a member (responded, if the campaign records responses) before the close date.
- ROI = (won influenced amount − cost) / cost, with the actual cost, else the budgeted cost.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import polars as pl

from leadbridge.store import profile

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

NO_SOURCE = "(no source)"
_RESPONDED = pl.col("responded").cast(pl.Boolean).fill_null(False)


def source_report(ws: "Workspace", field: str = "person_source", now: datetime | None = None) -> dict[str, Any]:
    """Per value of `field` (person_source or lead_source): people, new, in the CRM, converted, revenue."""
    from leadbridge.errors import LeadbridgeError
    if field not in {f.name for f in ws.fields("person")}:
        raise LeadbridgeError(f"people have no field {field!r}", hint="use person_source or lead_source")
    now = now or datetime.now(timezone.utc)
    people = _people(ws, [field])
    links = profile.link_frame(ws.db, "person")
    in_crm = set(links["record_id"].to_list())
    contacts = set(links.filter(pl.col("crm_object") == "Contact")["record_id"].to_list())
    since30, since90 = (_iso(now - timedelta(days=d)) for d in (30, 90))
    people = people.with_columns(
        pl.col(field).fill_null(NO_SOURCE).alias("value"),
        pl.col("id").is_in(list(in_crm)).alias("in_crm"),
        pl.col("id").is_in(list(contacts)).alias("converted"),
        (pl.col("created_at") >= since30).alias("new_30d"),
        (pl.col("created_at") >= since90).alias("new_90d"))
    first_touch = (people.filter(pl.col("company_id").is_not_null()).sort(["created_at", "id"])
                   .group_by("company_id", maintain_order=True).first().select("company_id", "value"))
    opps = _opportunities(ws).join(first_touch, on="company_id", how="left")
    money = opps.filter(pl.col("value").is_not_null()).group_by("value").agg(
        pl.col("amount").filter(pl.col("is_won")).sum().alias("won_amount"),
        pl.col("is_won").sum().alias("won"),
        pl.col("amount").filter(~pl.col("is_closed")).sum().alias("pipeline_amount"))
    rows = people.group_by("value").agg(
        pl.len().alias("people"), pl.col("new_30d").sum(), pl.col("new_90d").sum(),
        pl.col("in_crm").sum(), pl.col("converted").sum()).join(money, on="value", how="left")
    total = people.height
    out = []
    for r in rows.sort(["people", "value"], descending=[True, False]).iter_rows(named=True):
        out.append({"value": r["value"], "people": r["people"], "share": _ratio(r["people"], total),
                    "new_30d": r["new_30d"], "new_90d": r["new_90d"], "in_crm": r["in_crm"],
                    "converted": r["converted"], "conversion_rate": _ratio(r["converted"], r["people"]),
                    "won": int(r["won"] or 0), "won_amount": round(r["won_amount"] or 0, 2),
                    "pipeline_amount": round(r["pipeline_amount"] or 0, 2)})
    unattributed = opps.filter(pl.col("value").is_null())
    return {"field": field, "people": total, "rows": out, "generated_at": now.isoformat(),
            "opportunities": opps.height,
            "unattributed": {"opportunities": unattributed.height,
                             "won_amount": round(unattributed.filter(pl.col("is_won"))["amount"].sum() or 0, 2)},
            "attribution": "first touch: an opportunity's amount goes to the person source of its company's "
                           "earliest created person"}


def campaign_report(ws: "Workspace", now: datetime | None = None) -> dict[str, Any]:
    """Per campaign: members, responses, cost, primary and influenced opportunities, won revenue and ROI."""
    now = now or datetime.now(timezone.utc)
    campaigns = profile.frame(ws.db, "campaign", ["id", "name", "type", "status", "actual_cost", "budgeted_cost"])
    members = profile.frame(ws.db, "campaign_member", ["campaign_id", "person_id", "responded", "first_responded_at",
                                                       "created_at"])
    people = _people(ws, []).select(pl.col("id").alias("person_id"), "company_id")
    opps = _opportunities(ws)
    records_responses = members.group_by("campaign_id").agg(
        _RESPONDED.any().alias("tracks_responses"))
    touches = (members.join(records_responses, on="campaign_id")
               .filter(~pl.col("tracks_responses") | _RESPONDED)
               .with_columns(pl.coalesce("first_responded_at", "created_at").alias("touched_at"))
               .join(people, on="person_id").filter(pl.col("company_id").is_not_null())
               .select(pl.col("campaign_id").alias("touch_campaign"), "company_id", "touched_at"))
    influenced = (opps.drop("campaign_id").join(touches, on="company_id")
                  .filter(pl.col("close_date").is_null() | (pl.col("touched_at").str.slice(0, 10)
                                                             <= pl.col("close_date").str.slice(0, 10)))
                  .unique(["opp_id", "touch_campaign"]))
    influenced = influenced.with_columns(
        (pl.col("amount") / pl.col("opp_id").count().over("opp_id")).alias("share"))
    inf = influenced.rename({"touch_campaign": "campaign_id"}).group_by("campaign_id").agg(
        pl.col("opp_id").n_unique().alias("influenced"),
        pl.col("share").filter(pl.col("is_won")).sum().alias("influenced_won_amount"),
        pl.col("share").filter(~pl.col("is_closed")).sum().alias("influenced_pipeline"))
    primary = opps.filter(pl.col("campaign_id").is_not_null()).group_by("campaign_id").agg(
        pl.len().alias("primary"), pl.col("amount").filter(pl.col("is_won")).sum().alias("primary_won_amount"))
    counts = members.group_by("campaign_id").agg(pl.len().alias("members"),
                                                 _RESPONDED.sum().alias("responded"))
    table = (campaigns.rename({"id": "campaign_id"}).join(counts, on="campaign_id", how="left")
             .join(primary, on="campaign_id", how="left").join(inf, on="campaign_id", how="left"))
    out = []
    for r in table.sort("name").iter_rows(named=True):
        cost = r["actual_cost"] if r["actual_cost"] is not None else r["budgeted_cost"]
        won = round(r["influenced_won_amount"] or 0, 2)
        members_n, responded = int(r["members"] or 0), int(r["responded"] or 0)
        out.append({"campaign_id": r["campaign_id"], "name": r["name"], "type": r["type"], "status": r["status"],
                    "members": members_n, "responded": responded, "response_rate": _ratio(responded, members_n),
                    "cost": cost, "cost_per_response": round(cost / responded, 2) if cost and responded else None,
                    "primary": int(r["primary"] or 0), "primary_won_amount": round(r["primary_won_amount"] or 0, 2),
                    "influenced": int(r["influenced"] or 0), "influenced_won_amount": won,
                    "influenced_pipeline": round(r["influenced_pipeline"] or 0, 2),
                    "roi": round((won - cost) / cost, 3) if cost else None})
    return {"campaigns": out, "generated_at": now.isoformat(), "opportunities": opps.height,
            "won_amount": round(opps.filter(pl.col("is_won"))["amount"].sum() or 0, 2),
            "attribution": "primary: the opportunity's own campaign; influenced: the amount split evenly over "
                           "the campaigns its company's people joined (responded, where tracked) before it closed; "
                           "ROI = (won influenced amount - cost) / cost"}


def _people(ws: "Workspace", fields: list[str]) -> pl.DataFrame:
    return profile.frame(ws.db, "person", ["id", "company_id", "created_at", *fields])


def _opportunities(ws: "Workspace") -> pl.DataFrame:
    df = profile.frame(ws.db, "opportunity", ["id", "company_id", "campaign_id", "amount", "is_won", "is_closed",
                                              "close_date"])
    return df.rename({"id": "opp_id"}).with_columns(
        pl.col("amount").cast(pl.Float64).fill_null(0.0),
        (pl.col("is_won") == 1).fill_null(False).alias("is_won"),
        ((pl.col("is_closed") == 1) | (pl.col("is_won") == 1)).fill_null(False).alias("is_closed"))


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ")
