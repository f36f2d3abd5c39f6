"""`leadbridge crm`, `leadbridge mapping`, `leadbridge sync`: connect, check, run and watch the sync."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Optional

import typer
import yaml

from leadbridge.cli.context import JsonOpt, WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, print_json, print_table
from leadbridge.cli.people import WHERE_HELP
from leadbridge.errors import LeadbridgeError

crm_app = typer.Typer(help="Connect to the CRM and check the connection.", no_args_is_help=True)
mapping_app = typer.Typer(help="Field mapping between people and CRM Leads/Contacts.", no_args_is_help=True)
sync_app = typer.Typer(help="Two-way sync: run, status, errors, resync, per-record log.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(crm_app, name="crm")
    app.add_typer(mapping_app, name="mapping")
    app.add_typer(sync_app, name="sync")


@crm_app.command("connect")
def crm_connect(env_file: Path = typer.Option(..., "--env-file", help="File written by `leadbridge sandbox --env-file`."),
                workspace: Optional[Path] = WorkspaceOpt) -> None:
    """Configure this workspace for a running sandbox CRM in one step (secrets stay in the env file)."""
    from leadbridge.sync.connection import connect_sandbox
    with open_workspace(workspace) as ws:
        summary = connect_sandbox(ws, env_file)
    console.print(f"[green]connected[/] to {summary['instance_url']} as {summary['username']}")
    console.print(f"secrets are read from the environment: source {env_file} before syncing, or keep "
                  f"LEADBRIDGE_ENV_FILE={env_file} (set in leadbridge.yaml's folder .env)")


@crm_app.command("doctor")
def crm_doctor(workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Check login, API version, the sync user's permissions, and the mapping."""
    from leadbridge.sync.connection import doctor
    with open_workspace(workspace) as ws:
        checks = doctor(ws)
    if as_json:
        print_json(checks)
        return
    for c in checks:
        mark = "[green]ok[/]" if c["ok"] else "[red]fail[/]"
        console.print(f"{mark}  {c['check']}: {c['detail']}")
        if not c["ok"] and c.get("hint"):
            console.print(f"      next: {c['hint']}")
    if not all(c["ok"] for c in checks):
        raise typer.Exit(1)


@mapping_app.command("suggest")
def mapping_suggest(crm_object: str = typer.Option("Lead", "--object", help="Lead or Contact."),
                    write: bool = typer.Option(False, "--write", help="Write it into leadbridge.yaml."),
                    workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Propose a field mapping from the CRM's describe (names, labels, compatible types)."""
    from leadbridge.sync.connection import save_mapping
    from leadbridge.sync.engine import connect
    from leadbridge.sync.mapping_check import suggest
    with open_workspace(workspace) as ws:
        result = suggest(ws, connect(ws), crm_object)
        if write:
            save_mapping(ws, result)
    if as_json:
        print_json(result)
        return
    print_table([{"field": k, "crm": v} for k, v in result["fields"].items()], ["field", "crm"],
                title=f"person ↔ {crm_object}")
    if result["unmapped_crm_custom_fields"]:
        console.print("CRM custom fields not mapped: " + ", ".join(result["unmapped_crm_custom_fields"]))


@mapping_app.command("check")
def mapping_check(workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Before syncing: missing/readonly fields, type mismatches, unmapped required fields, picklist values the CRM rejects."""
    from leadbridge.sync.engine import connect
    from leadbridge.sync.mapping_check import check
    with open_workspace(workspace) as ws:
        problems = check(ws, connect(ws))
    if as_json:
        print_json(problems)
        return
    if not problems:
        console.print("[green]mapping ok[/]")
        return
    for p in problems:
        console.print(f"[red]{p['object']}.{p['field']}[/]: {p['problem']}" +
                      (f" {p['values']}" if p.get("values") else ""))
        console.print(f"   fix: {p['fix']}")


@sync_app.command("run")
def sync_run(once: bool = typer.Option(False, "--once", help="One cycle, then exit."),
             interval: float = typer.Option(60.0, "--interval", help="Seconds between cycles."),
             push_only: bool = typer.Option(False, "--push", help="Only push."),
             pull_only: bool = typer.Option(False, "--pull", help="Only pull."),
             dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be pushed, per record and field."),
             workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Run the sync: pull CRM changes, then push the outbox (every --interval seconds unless --once)."""
    from leadbridge.sync.engine import connect, run_cycle, run_forever
    with open_workspace(workspace) as ws:
        crm = connect(ws)
        kw = {"do_push": not pull_only, "do_pull": not push_only}
        if once or dry_run:
            res = run_cycle(ws, crm, dry_run=dry_run, **kw)
            if as_json:
                print_json(res.to_dict())
                return
            _print_cycle(res)
            for d in res.dry_run or []:
                console.print(f"  {d['object']} {d['record']} → {d['crm_object']} {d['crm_id']}: {d['fields']}")
            return
        stopping = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
        try:
            run_forever(ws, crm, interval, on_cycle=(lambda r: print_json(r.to_dict())) if as_json else _print_cycle,
                        stop=lambda: stopping["now"], **kw)
        except KeyboardInterrupt:
            console.print("stopped")


def _print_cycle(res) -> None:
    if res.paused:
        console.print(f"[yellow]{res.paused}[/]")
        return
    related = ", ".join(f"{o} {c['pulled']}" for o, c in (res.related or {}).items() if c["pulled"])
    console.print(f"{res.finished_at:%H:%M:%S} pushed {res.pushed} pulled {res.pulled} failed {res.failed} "
                  f"skipped {res.skipped} converted {res.converted} merged {res.merged} deleted {res.deleted} · "
                  + (f"related pulled: {related} · " if related else "")
                  + f"{res.api_calls} API calls · backlog {res.backlog}")
    if res.pull_error:
        console.print(f"[yellow]pull failed (retried next cycle): {res.pull_error}[/]")


@sync_app.command("status")
def sync_status_cmd(workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Per object: backlog and its 5-day trend, throughput per hour (24 h), the last cycles'
    pushed/pulled/failed/skipped; API calls against the budget; normal/increasing/critical
    (critical: backlog > sync.critical_backlog or paused; increasing: grew sync.increasing_cycles cycles running)."""
    from leadbridge.sync.status import sync_status
    with open_workspace(workspace) as ws:
        s = sync_status(ws)
    if as_json:
        print_json(s)
        return
    colour = {"normal": "green", "increasing": "yellow", "critical": "red"}
    console.print(f"sync: [{colour[s['status']]}]{s['status']}[/] — {s['status_reason']}"
                  + (f"\n  {s['paused']}" if s["paused"] and s["paused"] not in s["status_reason"] else ""))
    rows = []
    for obj, o in s["objects"].items():
        t, c = o["throughput_per_hour"], o["last_cycle"] or {}
        rows.append({"object": obj, "status": o["status"], "backlog": o["backlog"],
                     "trend 5 d": o["backlog_trend"]["sparkline"] or "-",
                     "per hour max/min/avg": f"{t['max']:,}/{t['min']:,}/{t['avg']:,}",
                     "last cycle push/pull/fail/skip": "/".join(str(c.get(k, 0)) for k in
                                                                ("pushed", "pulled", "failed", "skipped"))})
    t = s["throughput_per_hour"]
    rows.append({"object": "all", "status": s["status"], "backlog": s["backlog"],
                 "trend 5 d": s["backlog_trend"]["sparkline"] or "-",
                 "per hour max/min/avg": f"{t['max']:,}/{t['min']:,}/{t['avg']:,}",
                 "last cycle push/pull/fail/skip": "/".join(str((s["last_cycle"] or {}).get(k, 0)) for k in
                                                            ("pushed", "pulled", "failed", "skipped"))})
    print_table(rows, list(rows[0]), title="sync status")
    crm_use = s["crm_api_usage"]
    limit = f"{s['api_budget']:,}" if s["api_budget"] else "-"
    console.print(f"  API calls today {s['api_calls_today']:,} of budget {limit}"
                  + (f" (left {s['api_budget_left']:,})" if s["api_budget_left"] is not None else "")
                  + (f"; the org: {crm_use['used']:,} of {crm_use['max']:,}" if crm_use else "")
                  + f"; open errors {s['open_errors']}")
    for a in s["alerts"][:5]:
        console.print(f"  [red]alert[/] {a['at']:%Y-%m-%d %H:%M} {a['kind']}: {a['message']}")


@sync_app.command("alerts")
def sync_alerts(limit: int = typer.Option(50, "--limit", min=1, help="How many, newest first."),
                kind: Optional[str] = typer.Option(None, "--kind", help="Only this kind, e.g. config_error."),
                workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Alerts the sync raised: configuration errors that paused it, a critical backlog, error-rate spikes,
    API limits, CRM merges to finish here. Recorded in the database and logged as they happen."""
    from leadbridge.sync.alerts import recent
    with open_workspace(workspace) as ws:
        rows = recent(ws, limit, kind)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no sync alerts")
        return
    print_table(rows, ["at", "severity", "kind", "message"], title=f"{len(rows)} sync alerts (newest first)")


@sync_app.command("errors")
def sync_errors(group_by: Optional[str] = typer.Option(None, "--group-by", help="code or field"),
                export: Optional[Path] = typer.Option(None, "--export", help="Write the errors to this CSV."),
                workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Records the CRM refused, with its code, message, field and a suggested fix."""
    from leadbridge.sync.errors_report import errors_table, export_errors, group_errors
    with open_workspace(workspace) as ws:
        rows = errors_table(ws)
    if export:
        export_errors(rows, export)
        console.print(f"wrote {len(rows)} errors to {export}")
        return
    if group_by:
        groups = group_errors(rows, group_by)
        print_json(groups) if as_json else print_table(groups, [group_by, "count", "example", "fix"],
                                                       title=f"sync errors by {group_by}")
        return
    print_json(rows) if as_json else print_table(rows, ["record_id", "code", "fields", "message", "fix"],
                                                 title=f"{len(rows)} records not in the CRM")


@sync_app.command("resync")
def sync_resync(failed: bool = typer.Option(False, "--failed", help="Re-queue records that failed."),
                code: Optional[str] = typer.Option(None, "--code", help="Only records that failed with this code."),
                where: Optional[str] = typer.Option(None, "--where", help=WHERE_HELP),
                workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Queue records again: failed ones (optionally by error code) or any matching a filter."""
    from leadbridge.sync.resync import resync
    with open_workspace(workspace) as ws:
        n = resync(ws, failed=failed, code=code, where=where)
    print_json({"queued": n}) if as_json else console.print(f"queued {n:,} records")


@sync_app.command("log")
def sync_log(person_id: int = typer.Argument(..., help="Person id."),
             workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Every push and pull for one person, with payloads and results (kept 90 days by default)."""
    from leadbridge.store import sync_state
    with open_workspace(workspace) as ws:
        ws.get(person_id)
        rows = sync_state.log_of(ws.db, "person", person_id)
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["at", "direction", "crm_object", "crm_id", "status", "error_code", "payload", "result"],
                title=f"sync log of person {person_id}")


@sync_app.command("resume")
def sync_resume(workspace: Optional[Path] = WorkspaceOpt) -> None:
    """Resume a sync paused by a configuration error (after fixing it)."""
    from leadbridge.sync.engine import resume
    with open_workspace(workspace) as ws:
        resume(ws)
    console.print("sync resumed")
