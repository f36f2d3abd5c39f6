"""The CRM's describe, cached in the workspace (`.leadbridge/describe/<Object>.json`) for offline use.

`mapping suggest` and `mapping check` refresh it; standards rules read picklist values from it.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

FOLDER = Path(".leadbridge") / "describe"


def save(root: Path, obj: str, describe: dict[str, Any]) -> Path:
    path = root / FOLDER / f"{obj}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"fetched_at": datetime.now(timezone.utc).isoformat(), "describe": describe},
                              ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def load(root: Path, obj: str) -> dict[str, Any] | None:
    path = root / FOLDER / f"{obj}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def picklist(root: Path, obj: str, field: str) -> list[dict[str, Any]] | None:
    """Active picklist entries of `obj.field` ({value, label}); None when the describe is not cached."""
    cached = load(root, obj)
    if cached is None:
        return None
    for f in cached["describe"].get("fields", []):
        if f.get("name") == field:
            return [{"value": p.get("value"), "label": p.get("label")} for p in f.get("picklistValues", [])
                    if p.get("active", True)]
    return []
