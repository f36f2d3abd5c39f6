"""The audit as text, or as one self-contained HTML file with SVG charts (opens offline)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape


def html(report: dict[str, Any]) -> str:
    env = Environment(autoescape=select_autoescape(["html"]))
    env.filters["pct"] = lambda v: f"{v * 100:.0f}%"
    template = env.from_string(resources.files("leadbridge.audit").joinpath("templates/audit.html").read_text("utf-8"))
    inactive = report["inactive"]
    buckets = [("no activity", inactive["no_activity"]), ("> 30 days", inactive["30d"]), ("> 60 days", inactive["60d"]),
               ("> 90 days", inactive["90d"])]
    return template.render(r=report, buckets=buckets, peak=max([b[1] for b in buckets] + [1]))


def text(report: dict[str, Any]) -> str:
    lines = [f"people: {report['people']:,}   data health: {report['health_score']}/100",
             f"  ({report['health_formula']})", "", "completeness (key fields):"]
    for c in sorted(report["completeness"], key=lambda c: c["share"])[:15]:
        lines.append(f"  {c['field']:<26} {c['share'] * 100:5.1f}%  ({c['filled']:,})")
    lines += ["", "rule failures:"] + [f"  {r['count']:>8,}  {r['rule']} ({r['action']})" for r in report["rule_failures"]]
    lines += ["", "country spellings:"]
    for v in report["inconsistent_values"]["country"][:20]:
        lines.append(f"  {v['count']:>8,}  {v['value']!r} → {v.get('normalizes_to') or 'no match'}")
    i = report["inactive"]
    lines += ["", f"inactive: >30d {i['30d']:,}, >60d {i['60d']:,}, >90d {i['90d']:,}, never active {i['no_activity']:,}"]
    e = report["emails"]
    lines += [f"emails: invalid {e['invalid']:,}, disposable {e['disposable']:,}, role {e['role']:,}, test {e['test']:,}"]
    d = report["duplicates"]
    lines += [f"duplicates: same email {d['same_email']['extra_records']:,} extra records; same name+company "
              f"{d['same_name_and_company']['extra_records']:,}",
              f"without person source: {report['without_person_source']:,}", "", "would fail in the CRM:"]
    lines += [f"  {r['count']:>8,}  {r['reason']} ({r['code']})" for r in report["would_fail_in_crm"]["reasons"]]
    return "\n".join(lines)
