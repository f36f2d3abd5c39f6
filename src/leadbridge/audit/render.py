"""The audit as text, or as one self-contained HTML file with SVG charts (opens offline)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape

SPELLINGS_CHARTED = 20


def html(report: dict[str, Any]) -> str:
    env = Environment(autoescape=select_autoescape(["html"]))
    env.filters["pct"] = lambda v: f"{v * 100:.0f}%"
    env.filters["num"] = lambda v: f"{v:,}"
    template = env.from_string(resources.files("leadbridge.audit").joinpath("templates/audit.html").read_text("utf-8"))
    inactive = report["inactive"]
    buckets = [("no activity", inactive["no_activity"]), ("> 30 days", inactive["30d"]), ("> 60 days", inactive["60d"]),
               ("> 90 days", inactive["90d"])]
    emails = list(report["emails"].items())
    others = {o: rows for o, rows in report["completeness_by_object"].items()
              if o != "person" and rows and rows[0]["total"]}
    return template.render(r=report, buckets=buckets, peak=max([b[1] for b in buckets] + [1]), emails=emails,
                           email_peak=max([n for _, n in emails] + [1]), others=others, shown=SPELLINGS_CHARTED)


def text(report: dict[str, Any]) -> str:
    lines = [f"people: {report['people']:,}   companies: {report['companies']:,}   "
             f"data health: {report['health_score']}/100", f"  ({report['health_formula']})", "",
             "completeness (people, least complete first):"]
    for c in sorted(report["completeness"], key=lambda c: c["share"])[:15]:
        lines.append(f"  {c['field']:<26} {c['share'] * 100:5.1f}%  ({c['filled']:,})")
    for obj, rows in report["completeness_by_object"].items():
        if obj != "person" and rows and rows[0]["total"]:
            worst = sorted(rows, key=lambda c: c["share"])[:5]
            lines.append(f"  {obj} ({rows[0]['total']:,}): " + ", ".join(f"{c['field']} {c['share'] * 100:.0f}%"
                                                                         for c in worst))
    lines += ["", "rule failures (re-checked on the stored values):"]
    lines += [f"  {r['count']:>8,}  {r['object']}: {r['rule']} ({r['severity']}, {r['action']})"
              for r in report["rule_failures"]] or ["  none"]
    for field, values in report["inconsistent_values"].items():
        if len(values) < 2 and not any(v.get("normalizes_to") != v["value"] for v in values):
            continue
        lines += ["", f"{field}: {len(values):,} spellings"]
        for v in values[:SPELLINGS_CHARTED]:
            where = f" ({v['country']})" if v.get("country") else ""
            to = "" if v.get("no_standard") else f" → {v.get('normalizes_to') or 'no match'}"
            lines.append(f"  {v['count']:>8,}  {v['value']!r}{where}{to}")
    i = report["inactive"]
    lines += ["", f"inactive: >30d {i['30d']:,}, >60d {i['60d']:,}, >90d {i['90d']:,}, "
                  f"never active {i['no_activity']:,}"]
    e = report["emails"]
    lines += ["emails: " + ", ".join(f"{k.replace('_', '-')} {v:,}" for k, v in e.items())]
    d = report["duplicates"]
    lines += [f"duplicates: same email {d['same_email']['extra_records']:,} extra records; same name + company "
              f"{d['same_name_and_company']['extra_records']:,}; records beyond the first (once) "
              f"{d['records_beyond_first']:,}",
              f"without person source: {report['without_person_source']:,}", ""]
    crm = report["would_fail_in_crm"]
    lines += [f"would fail in the CRM: {crm['records']:,} records ({crm['records_pushed']:,} of them pushed by the "
              f"sync filter now); checked against {crm['checked_against']}"]
    lines += [f"  {r['count']:>8,}  {r['reason']} ({r['code']}; pushed now {r['pushed_now']:,})"
              for r in crm["reasons"]]
    return "\n".join(lines)
