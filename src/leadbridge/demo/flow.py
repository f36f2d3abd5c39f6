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
    _sync(console, ws, root)
    return ws


def _sync(console: Console, ws: Workspace, root: Path) -> None:
    """Step 3: the sandbox CRM, a two-way sync, failures on purpose, fixed and resynced."""
    from leadbridge.sandbox import SandboxServer
    from leadbridge.store import sync_state
    from leadbridge.sync.connection import connect_sandbox
    from leadbridge.sync.engine import connect, run_cycle
    from leadbridge.sync.status import sync_status

    console.rule("4. sync both ways with the sandbox CRM")
    with SandboxServer(root / "sandbox") as srv:
        srv.write_env(root / "sandbox.env")
        connect_sandbox(ws, root / "sandbox.env")
        console.print(f"sandbox CRM at {srv.instance_url}; workspace connected (secrets stay in sandbox.env)")
        crm = connect(ws)
        res = run_cycle(ws, crm)
        console.print(f"first sync: pushed {res.pushed}, failed {res.failed}, skipped {res.skipped}, "
                      f"{res.api_calls} API calls")
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
        console.print(f"a sales rep edited a lead in the CRM → pulled {res.pulled}: person {pid} is now "
                      f"{rec['title']!r}, status {rec['lead_status']!r} (and nothing echoed back: backlog {res.backlog})")
        status = sync_status(ws)
        console.print(f"sync status: {status['status']}, backlog {status['backlog']}, open errors {status['open_errors']}, "
                      f"API calls today {status['api_calls_today']}")


def _show_errors(console: Console, ws: Workspace) -> None:
    from leadbridge.store import sync_state
    from leadbridge.sync.errors_report import errors_table, group_errors
    for g in group_errors(errors_table(ws), "code"):
        console.print(f"  [red]{g['count']} × {g['code']}[/]: {g['example'][:90]}")
        console.print(f"     fix: {g['fix']}")
