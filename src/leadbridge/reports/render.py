"""Reports as one self-contained HTML page with SVG charts (opens offline), or as text tables."""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape


def html(sources: dict[str, Any], campaigns: dict[str, Any], errors: list[dict[str, Any]] | None = None) -> str:
    env = Environment(autoescape=select_autoescape(["html"]))
    env.filters["num"] = lambda v: "" if v is None else f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"
    env.filters["pct"] = lambda v: "" if v is None else f"{v * 100:.0f}%"
    template = env.from_string(resources.files("leadbridge.reports").joinpath("templates/report.html")
                               .read_text("utf-8"))
    rows = sources["rows"]
    return template.render(s=sources, c=campaigns, errors=errors or [],
                           people_peak=max([r["people"] for r in rows] + [1]),
                           won_peak=max([r["won_amount"] for r in rows] + [1]),
                           camp_peak=max([max(x["influenced_won_amount"], x["cost"] or 0)
                                          for x in campaigns["campaigns"]] + [1]),
                           error_peak=max([e["count"] for e in errors or []] + [1]))


def sources_text(sources: dict[str, Any]) -> str:
    lines = [f"{sources['field'].replace('_', ' ')} ({sources['people']:,} people; {sources['attribution']})",
             f"  {'value':<34} {'people':>8} {'new 30d':>8} {'in CRM':>8} {'converted':>10} {'won':>5} "
             f"{'won amount':>14} {'pipeline':>14}"]
    for r in sources["rows"]:
        lines.append(f"  {r['value'][:34]:<34} {r['people']:>8,} {r['new_30d']:>8,} {r['in_crm']:>8,} "
                     f"{r['converted']:>5,} {r['conversion_rate'] * 100:>3.0f}% {r['won']:>5,} "
                     f"{r['won_amount']:>14,.2f} {r['pipeline_amount']:>14,.2f}")
    u = sources["unattributed"]
    lines.append(f"  opportunities without a known first touch: {u['opportunities']:,} (won {u['won_amount']:,.2f})")
    return "\n".join(lines)


def campaigns_text(campaigns: dict[str, Any]) -> str:
    lines = [f"campaigns ({campaigns['attribution']})",
              f"  {'campaign':<30} {'members':>8} {'responded':>10} {'cost':>12} {'primary won':>12} "
              f"{'influenced':>10} {'infl. won':>12} {'ROI':>8}"]
    for c in campaigns["campaigns"]:
        roi = f"{c['roi'] * 100:.0f}%" if c["roi"] is not None else "-"
        cost = f"{c['cost']:,.2f}" if c["cost"] is not None else "-"
        lines.append(f"  {(c['name'] or '')[:30]:<30} {c['members']:>8,} {c['responded']:>10,} {cost:>12} "
                     f"{c['primary_won_amount']:>12,.2f} {c['influenced']:>10,} {c['influenced_won_amount']:>12,.2f} "
                     f"{roi:>8}")
    return "\n".join(lines)
