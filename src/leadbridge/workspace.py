"""Workspace: a folder with leadbridge.yaml and (by default) its SQLite database.

The application services hang off a Workspace; `Workspace.write` is the one
door every change goes through.
"""

from __future__ import annotations

import getpass
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from leadbridge.config import CONFIG_NAME, SCHEMA_NAME, LeadbridgeConfig, load_config, write_json_schema
from leadbridge.errors import ConfigError, FieldError, WorkspaceError
from leadbridge.model.changes import Change, Source, SourceKind, WriteResult
from leadbridge.model.fields import FieldDef, check_custom_name, make_custom_field
from leadbridge.model.types import to_text
from leadbridge.store import query, records, texts
from leadbridge.store.database import Database, sqlite_url
from leadbridge.writepath import WritePipeline, WriteStage

DB_NAME = "leadbridge.db"


def find_root(start: Path | None = None) -> Path:
    """The workspace folder: `start`, $LEADBRIDGE_WORKSPACE, or the nearest parent with leadbridge.yaml."""
    if start is not None:
        return Path(start).resolve()
    env = os.environ.get("LEADBRIDGE_WORKSPACE")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).exists():
            return folder
    raise WorkspaceError(f"no {CONFIG_NAME} in {here} or its parents",
                         hint="run `leadbridge init` here, or pass --workspace DIR")


class Workspace:
    """One marketing database: its configuration, its store and its services."""

    def __init__(self, root: Path, config: LeadbridgeConfig, db: Database):
        self.root, self.config, self.db = root, config, db
        self.stages: list[WriteStage] = []
        self.pipeline = WritePipeline(db, config, self.stages)

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path | None = None, *, database_url: str | None = None,
             config: LeadbridgeConfig | None = None, upgrade: bool | None = None) -> "Workspace":
        """Open a workspace. SQLite databases are migrated automatically; PostgreSQL needs `db upgrade`."""
        root = find_root(root)
        if config is None:
            if not (root / CONFIG_NAME).exists():
                raise WorkspaceError(f"{root} is not a leadbridge workspace (no {CONFIG_NAME})",
                                     hint=f"run `leadbridge init {root}`")
            config = load_config(root / CONFIG_NAME)
        url = database_url or config.database.url or sqlite_url(root / DB_NAME)
        db = Database(url)
        if upgrade if upgrade is not None else not db.is_postgres:
            db.upgrade()
        else:
            db.check_ready()
            db.load_custom_fields()
        ws = cls(root, config, db)
        ws.ensure_config_fields()
        ws.install_default_stages()
        return ws

    @classmethod
    def init(cls, root: Path, *, database_url: str | None = None, force: bool = False) -> "Workspace":
        """Create a workspace folder with a commented default config, its JSON Schema and the database."""
        root = Path(root).resolve()
        root.mkdir(parents=True, exist_ok=True)
        cfg = root / CONFIG_NAME
        if cfg.exists() and not force:
            raise WorkspaceError(f"{cfg} already exists", hint="use --force to overwrite the config")
        cfg.write_text(default_config_text(), encoding="utf-8")
        write_json_schema(root / SCHEMA_NAME)
        return cls.open(root, database_url=database_url, upgrade=True)

    def install_default_stages(self) -> None:
        """Plug the standard write stages (normalize/validate, rules) into the write path."""
        from leadbridge.stages import default_stages
        self.load_crm_picklists()
        self.stages[:] = default_stages(self)

    def load_crm_picklists(self) -> list[str]:
        """Fill standards rules that take their values from the CRM (`crm_picklist`) from the describe cache;
        returns the rules whose CRM values are not cached yet."""
        from leadbridge.crm import describe_cache
        missing = []
        for rule in self.config.standards.rules:
            if not rule.crm_picklist:
                continue
            obj, _, field = rule.crm_picklist.partition(".")
            entries = describe_cache.picklist(self.root, obj, field)
            if entries is None:
                missing.append(rule.name)
                continue
            rule.values = list(dict.fromkeys(v for e in entries for v in (e["value"], e["label"]) if v))
        return missing

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- the one door --------------------------------------------------------------------------

    def write(self, changes: Iterable[Change], source: Source | SourceKind | str, obj: str = "person", *,
              checkpoint: str | None = None, dry_run: bool = False, describe=None, after=None,
              concurrent: bool = False) -> WriteResult:
        """Write changes to `obj` records through identity, policies, standards, diff and history.

        `dry_run` runs everything and rolls back: the result says what would happen.
        `concurrent` prepares each batch outside the write lock, for writers running side by side
        (a parallel import); the result is the same (see `leadbridge.writepath.pipeline`).
        """
        src = Source.of(source)
        if src.actor is None:
            src = Source(src.kind, src.detail, _actor())
        return self.pipeline.run(changes, src, obj, checkpoint=checkpoint, dry_run=dry_run, describe=describe,
                                 after=after, concurrent=concurrent)

    # -- reading -------------------------------------------------------------------------------

    def fields(self, obj: str = "person") -> list[FieldDef]:
        return list(self._object(obj).fields)

    def list(self, obj: str = "person", where: str | None = None, **kw: Any) -> list[dict[str, Any]]:
        self._object(obj)
        return query.list_records(self.db, obj, where, **kw)

    def count(self, obj: str = "person", where: str | None = None) -> int:
        return query.count_records(self.db, obj, where)

    def get(self, record_id: int, obj: str = "person") -> dict[str, Any]:
        return query.get_record(self.db, self._object(obj).name, record_id)

    def history(self, record_id: int, obj: str = "person") -> list[dict[str, Any]]:
        """Field history of a record, newest last: one entry per field change."""
        self.get(record_id, obj)
        with self.db.engine.connect() as conn:
            rows = records.history_of(conn, self.db, obj, record_id)
            changes = [json.loads(r["changes"]) for r in rows]
            # a note many records share is stored once, by number (store/texts.py)
            notes = texts.load(conn, self.db, {e[2] for c in changes for e in c.values()
                                               if len(e) > 2 and type(e[2]) is int})
        out = []
        for r, entries in zip(rows, changes):
            for name, entry in entries.items():
                out.append({"change_id": r["id"], "batch_id": r["batch_id"], "at": to_text(r["changed_at"]),
                            "source": r["source"], "source_detail": r["source_detail"], "actor": r["actor"],
                            "kind": r["kind"], "field": name, "old": entry[0], "new": entry[1],
                            "note": notes.get(entry[2], entry[2]) if len(entry) > 2 else None})
        return out

    def crm_links(self, record_id: int, obj: str = "person") -> list[dict[str, Any]]:
        with self.db.engine.connect() as conn:
            return records.links_of(conn, self.db, obj, record_id)

    # -- custom fields -------------------------------------------------------------------------

    def add_field(self, name: str, type_name: str, *, obj: str = "person", label: str = "",
                  values: list[str] | None = None, length: int | None = None, indexed: bool = True) -> FieldDef:
        """Add a custom field as a real column of the object's table."""
        objdef = self._object(obj)
        check_custom_name(name, set(objdef.field_names))
        field = make_custom_field(name, type_name, label=label, values=values, length=length, indexed=indexed)
        self.db.add_custom_field(obj, field)
        return field

    def ensure_config_fields(self) -> None:
        """Create custom fields declared in leadbridge.yaml that the database does not have yet."""
        for spec in self.config.fields:
            objdef = self._object(spec.object)
            if objdef.has(spec.name):
                have = objdef.field(spec.name)
                if have.type.value != spec.type:
                    raise ConfigError(f"field {spec.object}.{spec.name} is {have.type.value} in the database "
                                      f"but {spec.type} in {CONFIG_NAME}",
                                      hint="change the config back; changing a field's type is not supported")
                continue
            self.add_field(spec.name, spec.type, obj=spec.object, label=spec.label, values=spec.values,
                           length=spec.length, indexed=spec.indexed)

    def _object(self, obj: str):
        try:
            return self.db.objects[obj]
        except KeyError:
            raise FieldError(f"unknown object {obj!r}",
                             hint="objects: " + ", ".join(self.db.objects)) from None


def _actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def default_config_text() -> str:
    """The commented leadbridge.yaml that `leadbridge init` writes."""
    return resources.files("leadbridge").joinpath("templates/leadbridge.yaml").read_text(encoding="utf-8")
