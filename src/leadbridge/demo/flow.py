"""The demo flow: every capability built so far, on a fresh workspace, narrated."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from leadbridge.demo.people import generate_people
from leadbridge.importing import ImportOptions, run_import
from leadbridge.model.changes import Change, Source, SourceKind
from leadbridge.store import profile
from leadbridge.workspace import Workspace

COLUMNS = [("First Name", "first_name"), ("Last Name", "last_name"), ("E-mail Address", "email"),
           ("Company", "company"), ("Job Title", "title"), ("Phone", "phone"), ("City", "city"),
           ("State", "state"), ("Country", "country"), ("utm_source", "utm_source"), ("utm_medium", "utm_medium")]


def write_demo_list(path: Path, people: int, seed: int) -> Path:
    """A messy list as people export it: duplicates, a row without email, a bad score."""
    rows = list(generate_people(people, seed))
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([c for c, _ in COLUMNS] + ["Lead Score"])
        for i, p in enumerate(rows):
            w.writerow([p.get(f) or "" for _, f in COLUMNS] + [p["lead_score"] if i % 97 else "high"])
        for p in rows[:5]:  # the same people again, differently written
            w.writerow([p["first_name"], p["last_name"], p["email"].upper(), p["company"], "Director"] + [""] * 7)
        w.writerow(["No", "Email", "", "Nowhere Ltd"] + [""] * 8)
    return path


def run_demo(console: Console, *, directory: Path | None = None, people: int = 300, seed: int = 7) -> Workspace:
    """Create a workspace, import a messy list, edit, and show history and accounting."""
    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="leadbridge-demo-"))
    console.rule("[bold]leadbridge demo")
    ws = Workspace.init(root, force=True)
    console.print(f"workspace: {ws.root}  database: {ws.db.url}")

    console.rule("1. import a messy list (mapping, dedupe, accounting, rejects)")
    listfile = write_demo_list(root / "webinar-leads.csv", people, seed)
    rep = run_import(ws, listfile, ImportOptions(list_name="Webinar November", rejects=root / "rejects.csv"))
    table = Table(title="column mapping", show_header=True)
    for col in ("column", "field", "reason"):
        table.add_column(col)
    for m in rep.mapping:
        table.add_row(m["column"], m["field"] or "—", m["reason"])
    console.print(table)
    console.print(f"rows read {rep.rows_read} = created {rep.created} + updated {rep.updated} + unchanged "
                  f"{rep.unchanged} + collapsed {rep.collapsed} + rejected {rep.rejected}")
    for reason, n in rep.reject_reasons.items():
        console.print(f"  rejected {n} × {reason}")
    console.print(f"rejects file: {rep.rejects_file}")
    again = run_import(ws, listfile, ImportOptions(list_name="Webinar November", rejects=root / "rejects2.csv"))
    console.print(f"the same file again: created {again.created}, updated {again.updated}, "
                  f"unchanged {again.unchanged} (imports are idempotent)")

    console.rule("2. data standards on entry: normalized, flagged, explained")
    spellings = sorted({r["country"] for r in ws.list(columns=["country"], limit=None) if r["country"]})
    console.print(f"countries stored after normalization: {', '.join(spellings)}")
    flagged = ws.list(where="data_invalid = true", columns=["email", "country", "data_issues"], limit=None)
    console.print(f"flagged (kept, not synced until fixed): {len(flagged)}")
    for r in flagged[:3]:
        console.print(f"  {r['email']}: {r['data_issues'][:100]}")

    console.rule("3. edits go through the same door: policies and field history")
    first = ws.list(limit=1)[0]["id"]
    ws.write([Change({"title": "VP Marketing", "lead_score": 88}, id=first)], Source(SourceKind.UI, actor="maria"))
    res = ws.write([Change({"email": ws.get(first)["email"].upper(), "country": "Narnia"}, id=first)],
                   Source(SourceKind.FORM))
    for field, why in res.items[0].ignored.items():
        console.print(f"  form fill could not change {field}: {why}")
    for h in ws.history(first):
        if h["field"] != "email_key":
            console.print(f"  {h['at'][:19]} {h['source']:<12} {h['field']:<14} {h['old']!r} → {h['new']!r}")
    console.print(f"people: {ws.count()}  (changing an email never creates a second person)")
    _dedupe(console, ws)
    _routing(console, ws)
    _sync(console, ws, root)
    _audit_and_dashboard(console, ws, root)
    return ws


def _dedupe(console: Console, ws: Workspace) -> None:
    from leadbridge.dedupe.find import auto_merge, find
    from leadbridge.dedupe.merge import undo
    console.rule("4. duplicates: found with reasons, merged with survivorship, undone exactly")
    ws.write([Change({"first_name": "Robert", "last_name": "Fischer", "email": "robert.fischer@gmail.com",
                      "company": "Nordlicht Software GmbH", "phone": "+49 30 901820", "country": "Germany"}),
              Change({"first_name": "Bob", "last_name": "Fischer", "email": "r.o.bert.fischer+events@gmail.com",
                      "company": "NORDLICHT SOFTWARE", "title": "CTO"}),
              Change({"first_name": "Robert", "last_name": "Fisher", "email": "rfischer@nordlicht.de",
                      "company": "Nordlicht Software", "phone": "030 901820", "country": "DE"})],
             Source(SourceKind.FORM))
    report = find(ws)
    console.print(f"{report.records} people, {report.candidates} candidate pairs, {len(report.clusters)} clusters, "
                  f"{len(report.review)} pairs for review ({report.seconds:.1f} s)")
    cluster = max(report.clusters, key=lambda c: len(c.ids))
    for p in cluster.pairs[:2]:
        why = ", ".join(f"{f['field']} {f['level']}" for f in p["fields"] if f["weight"] > 0)
        console.print(f"  {p['a']} ↔ {p['b']}  p={p['probability']:.4f}  rule '{p['rule']}': {why}")
    before = ws.count()
    _, outcomes = auto_merge(ws)
    console.print(f"auto-merge: {len(outcomes)} merges, people {before} → {ws.count()}")
    last = next(o for o in outcomes if set(o.plan.loser_ids) | {o.plan.winner_id} == set(cluster.ids))
    console.print(f"  merge {last.merge_id}: winner {last.plan.winner_id} ({last.plan.why}); fields from the others: "
                  f"{', '.join(last.plan.values) or 'none'}")
    res = undo(ws, last.merge_id)
    console.print(f"  undo merge {last.merge_id}: people {', '.join(map(str, res.losers))} are back; people: {ws.count()}")


def _routing(console: Console, ws: Workspace) -> None:
    from leadbridge.routing.config import Member, RouteRule, Team
    from leadbridge.routing.run import explain, run
    from leadbridge.sourcing.backfill import backfill
    console.rule("5. routing by territory, time zones, person source")
    # the sandbox CRM's users, so routed owners exist on both sides (users are matched by email)
    anna, ben, chen = (f"{n}@sandbox.leadbridge.local" for n in ("anna", "ben", "chen"))
    reps = {"NA West": [ben], "NA Central": [ben], "NA East": [ben, anna], "NA": [ben], "EMEA": [anna],
            "APAC": [chen], "LATAM": [ben]}
    ws.write([Change({"email": e, "name": e.split("@")[0].title(), "active": True}) for e in (anna, ben, chen)],
             Source(SourceKind.SYSTEM), "user")
    ws.config.routing.teams = [Team(name=t, members=[Member(user=e) for e in es]) for t, es in reps.items()]
    ws.config.routing.rules = [RouteRule(name="hot leads", when="lead_score >= 95", user=anna),
                               RouteRule(name="own territory", when="country is not empty", territory="*")]
    report = run(ws)
    console.print(f"routed {report['people']} people: " + ", ".join(f"{k} {v}" for k, v in report["by_territory"].items()))
    pid = ws.list(where="country = Germany", limit=1)[0]["id"]
    d = explain(ws, pid)["decisions"][-1]
    console.print(f"  person {pid}: {d['explanation']} (time zone {ws.get(pid)['time_zone']})")
    src = backfill(ws)
    sources = profile.value_counts(ws.db, "person", "person_source", limit=4)
    console.print(f"person source (set on entry): {', '.join(f'{v} {n}' for v, n in sources)}; backfill filled "
                  f"{src['filled']}, still without {src['still_without_source']}")


def _sync(console: Console, ws: Workspace, root: Path) -> None:
    """Step 3: the sandbox CRM, a two-way sync, failures on purpose, fixed and resynced."""
    from leadbridge.sandbox import SandboxServer
    from leadbridge.store import sync_state
    from leadbridge.sync.connection import connect_sandbox
    from leadbridge.sync.engine import connect, run_cycle
    from leadbridge.sync.status import sync_status

    console.rule("6. sync both ways with the sandbox CRM")
    with SandboxServer(root / "sandbox") as srv:
        srv.write_env(root / "sandbox.env")
        connect_sandbox(ws, root / "sandbox.env")
        console.print(f"sandbox CRM at {srv.instance_url}; workspace connected (secrets stay in sandbox.env)")
        crm = connect(ws)
        webinar = ws.write([Change({"name": "Autumn Product Webinar", "type": "Webinar", "status": "In Progress"})],
                           Source(SourceKind.UI, actor="ops"), "campaign").ids[0]
        attendees = [p["id"] for p in ws.list(where="email is not empty and country = Germany", limit=12)]
        ws.write([Change({"campaign_id": webinar, "person_id": p, "status": "Registered"}) for p in attendees],
                 Source(SourceKind.UI, actor="ops"), "campaign_member")
        res = run_cycle(ws, crm)
        per_object = ", ".join(f"{o} {c['pushed']}" for o, c in (res.pushed_by_object or {}).items())
        console.print(f"first sync: pushed {res.pushed} ({per_object}), failed {res.failed}, skipped {res.skipped}, "
                      f"{res.api_calls} API calls")
        members = srv.org.store.table("CampaignMember").values()
        console.print(f"  the CRM now has {len(srv.org.store.table('Campaign'))} campaigns and {len(members)} "
                      f"members, each on its Lead ({sum(1 for m in members if m.get('LeadId'))} with a LeadId)")
        _show_errors(console, ws)
        console.print("two people the CRM will refuse, on purpose: one without a company, one with a 200-character title")
        broken = ws.write([Change({"email": "no.company@example.org", "first_name": "Nora", "last_name": "Nocompany"}),
                           Change({"email": "long.title@example.org", "last_name": "Long", "company": "Verbose Ltd",
                                   "title": "Senior " * 28 + "Manager"})], Source(SourceKind.FORM))
        res = run_cycle(ws, crm)
        console.print(f"sync: pushed {res.pushed}, failed {res.failed}")
        _show_errors(console, ws)
        ws.write([Change({"company": "Found Inc"}, id=broken.items[0].id),
                  Change({"title": "Senior Manager"}, id=broken.items[1].id)], Source(SourceKind.UI, actor="ops"))
        res = run_cycle(ws, crm)
        console.print(f"fixed both records → they re-queued by themselves: pushed {res.pushed}, failed {res.failed}, "
                      f"open errors {len(sync_state.open_errors(ws.db))}")
        lead = next(iter(srv.org.store.table("Lead").values()))
        srv.org.commit("Lead", [srv.org.prepare_update("Lead", lead["Id"], {"Title": "Chief Revenue Officer",
                                                                           "Status": "Working - Contacted"})])
        res = run_cycle(ws, crm)
        pid = int(lead["Leadbridge_Id__c"])
        rec = ws.get(pid)
        console.print(f"a sales rep edited a lead in the CRM → pulled {res.pulled} (re-read unchanged "
                      f"{res.unchanged}): person {pid} is now "
                      f"{rec['title']!r}, status {rec['lead_status']!r} (and nothing echoed back: backlog {res.backlog})")
        status = sync_status(ws)
        console.print(f"sync status: {status['status']}, backlog {status['backlog']}, open errors {status['open_errors']}, "
                      f"API calls today {status['api_calls_today']}")


def _audit_and_dashboard(console: Console, ws: Workspace, root: Path) -> None:
    """Step 7: the audit as an HTML report, and the dashboard answering over HTTP."""
    import httpx

    from leadbridge.audit.render import html
    from leadbridge.audit.report import run_audit
    from leadbridge.web.server import WebServer
    console.rule("7. the audit report and the dashboard")
    report = run_audit(ws)
    (root / "audit.html").write_text(html(report), encoding="utf-8")
    crm = report["would_fail_in_crm"]
    console.print(f"data health {report['health_score']}/100; {crm['records']} records would fail in the CRM; "
                  f"report: {root / 'audit.html'} (one file, opens offline)")
    with WebServer(ws) as srv:
        status = httpx.get(f"{srv.url}/api/sync/status", timeout=30).json()
        page = httpx.get(f"{srv.url}/?refresh=0", timeout=30)
    console.print(f"dashboard answered: status {status['status']}, backlog {status['backlog']} "
                  f"(page {len(page.text):,} bytes); open it yourself with  leadbridge web -w {root}")


def _show_errors(console: Console, ws: Workspace) -> None:
    from leadbridge.store import sync_state
    from leadbridge.sync.errors_report import errors_table, group_errors
    for g in group_errors(errors_table(ws), "code"):
        console.print(f"  [red]{g['count']} × {g['code']}[/]: {g['example'][:90]}")
        console.print(f"     fix: {g['fix']}")
