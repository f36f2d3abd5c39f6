"""Connecting a workspace to a CRM (`crm connect`) and checking the connection (`crm doctor`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from leadbridge.config import CONFIG_NAME, load_config
from leadbridge.errors import ConfigError, CrmError, LeadbridgeError
from leadbridge.sync.config import read_env_file

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

SANDBOX_CRM = {
    "login_url": "${SANDBOX_INSTANCE_URL}", "username": "${SANDBOX_USERNAME}", "password": "${SANDBOX_PASSWORD}",
    "client_id": "${SANDBOX_CLIENT_ID}", "client_secret": "${SANDBOX_CLIENT_SECRET}",
    "ca_bundle": "${SANDBOX_CA_BUNDLE}",
}


def _rewrite_config(ws: "Workspace", key: str, value: dict[str, Any]) -> None:
    """Set one top-level section of leadbridge.yaml, keeping the rest of the file (and its comments) as is."""
    path = ws.root / CONFIG_NAME
    text = path.read_text(encoding="utf-8")
    block = yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True)
    lines = text.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.startswith(f"{key}:")), None)
    if start is None:
        text = text.rstrip("\n") + "\n\n" + block
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i][:1] not in (" ", "\n", "#", "")), len(lines))
        text = "".join(lines[:start]) + block + "".join(lines[end:])
    path.write_text(text, encoding="utf-8")
    ws.config = load_config(path)
    ws.pipeline.config = ws.config


def connect_sandbox(ws: "Workspace", env_file: Path) -> dict[str, Any]:
    """Point the workspace at a running sandbox; secrets stay in the env file, referenced as ${VAR}."""
    env = read_env_file(str(env_file))
    missing = [k for k in ("SANDBOX_INSTANCE_URL", "SANDBOX_USERNAME", "SANDBOX_PASSWORD") if k not in env]
    if missing:
        raise ConfigError(f"{env_file} lacks {', '.join(missing)}",
                          hint="start the sandbox with `leadbridge sandbox --env-file FILE` and pass that file")
    _rewrite_config(ws, "crm", {**SANDBOX_CRM, "env_file": str(Path(env_file).resolve())})
    from leadbridge.sync.engine import connect
    crm = connect(ws)
    crm.limits()
    return {"instance_url": env["SANDBOX_INSTANCE_URL"], "username": env["SANDBOX_USERNAME"]}


def save_mapping(ws: "Workspace", suggestion: dict[str, Any]) -> None:
    current = ws.config.sync.model_dump(mode="json")
    key = "contact" if suggestion["crm_object"] == "Contact" else "lead"
    current[key] = {"crm_object": suggestion["crm_object"], "fields": suggestion["fields"]}
    _rewrite_config(ws, "sync", current)


def doctor(ws: "Workspace") -> list[dict[str, Any]]:
    """Login, API version, permissions of the sync user on the mapped fields, owners, limits."""
    from leadbridge.sync.engine import connect
    from leadbridge.sync.mapping_check import check
    checks: list[dict[str, Any]] = []
    try:
        crm = connect(ws)
    except LeadbridgeError as exc:
        return [{"check": "login", "ok": False, "detail": exc.message, "hint": exc.hint}]
    checks.append({"check": "login", "ok": True, "detail": f"logged in to {crm.sf.sf_instance}"})
    try:
        versions = crm._rest("GET", "../")  # /services/data/
        have = [v["version"] for v in versions] if isinstance(versions, list) else []
        want = ws.config.crm.api_version
        checks.append({"check": "api version", "ok": want in have or not have,
                       "detail": f"v{want} ({'offered' if want in have else 'not offered; offered: ' + ', '.join(have[-3:])})",
                       "hint": "set crm.api_version to one the org offers"})
    except CrmError as exc:
        checks.append({"check": "api version", "ok": False, "detail": exc.message})
    try:
        lim = crm.limits().get("DailyApiRequests", {})
        checks.append({"check": "api limit", "ok": lim.get("Remaining", 1) > 0,
                       "detail": f"{lim.get('Remaining')} of {lim.get('Max')} daily requests left"})
    except CrmError as exc:
        checks.append({"check": "api limit", "ok": False, "detail": exc.message})
    problems = check(ws, crm)
    checks.append({"check": "mapping and permissions", "ok": not problems,
                   "detail": "all mapped fields exist and are writable" if not problems
                   else "; ".join(f"{p['object']}.{p['field']}: {p['problem']}" for p in problems[:5]),
                   "hint": "`leadbridge mapping check` lists every problem with its fix"})
    return checks
