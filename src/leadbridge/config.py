"""leadbridge.yaml: typed configuration, resolved argument → environment → file → defaults.

Each area owns its section model; `LeadbridgeConfig` composes them. Environment
variables override the file: `LEADBRIDGE_DATABASE_URL`, `LEADBRIDGE_BATCH_SIZE`,
and generally `LEADBRIDGE_<SECTION>__<KEY>` (double underscore between levels).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from leadbridge.dedupe.config import DedupeConfig
from leadbridge.errors import ConfigError
from leadbridge.hygiene.config import HygieneConfig
from leadbridge.routing.config import RoutingConfig
from leadbridge.sourcing.config import PersonSourceConfig
from leadbridge.model.policies import FieldPolicy, FieldRule
from leadbridge.standards.config import StandardsConfig
from leadbridge.sync.config import CrmConfig, SyncConfig, looks_like_plain_secret

CONFIG_NAME = "leadbridge.yaml"
SCHEMA_NAME = "leadbridge.schema.json"
ENV_PREFIX = "LEADBRIDGE_"
_SHORTCUTS = {"LEADBRIDGE_DATABASE_URL": ("database", "url"), "LEADBRIDGE_BATCH_SIZE": ("write", "batch_size")}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseConfig(_Section):
    url: str | None = Field(None, description="SQLAlchemy URL; default: sqlite:///<workspace>/leadbridge.db")


class WriteConfig(_Section):
    batch_size: int = Field(5000, ge=1, le=100_000, description="changes per transaction in Workspace.write")


class CustomFieldConfig(_Section):
    name: str
    object: str = "person"
    type: str
    label: str = ""
    values: list[str] = Field(default_factory=list, description="picklist values")
    length: int | None = None
    indexed: bool = True


class PolicyConfig(_Section):
    rule: FieldRule = FieldRule.LATEST_WINS
    blocked_sources: list[str] = Field(default_factory=list,
                                       description="sources that may not change the field once it has a value")


class LeadbridgeConfig(_Section):
    """The whole of leadbridge.yaml."""

    version: int = 1
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    write: WriteConfig = Field(default_factory=WriteConfig)
    fields: list[CustomFieldConfig] = Field(default_factory=list, description="custom fields")
    default_rule: FieldRule = Field(FieldRule.LATEST_WINS, description="rule for fields not listed in policies")
    policies: dict[str, PolicyConfig] = Field(
        default_factory=dict, description="per field ('field' or 'object.field'): sync rule and blocked sources")
    standards: StandardsConfig = Field(default_factory=StandardsConfig,
                                       description="normalizers and data standards applied on every write")
    crm: CrmConfig | None = Field(None, description="the CRM to sync with (`leadbridge crm connect` fills it)")
    sync: SyncConfig = Field(default_factory=SyncConfig)
    routing: RoutingConfig = Field(default_factory=RoutingConfig,
                                   description="territories, teams, ordered routing rules, fallback queue")
    person_source: PersonSourceConfig = Field(default_factory=PersonSourceConfig,
                                              description="how a person's source is derived (rules, then GA4 channel)")
    hygiene: HygieneConfig = Field(default_factory=HygieneConfig,
                                   description="rules acting on entry: trigger + filter + actions")
    dedupe: DedupeConfig = Field(default_factory=DedupeConfig,
                                 description="duplicate matching, merge survivorship, auto-merge schedule")

    @field_validator("crm")
    @classmethod
    def _secrets_are_env_refs(cls, v: CrmConfig | None) -> CrmConfig | None:
        if v is not None:
            for name in ("password", "security_token", "client_secret"):
                if looks_like_plain_secret(getattr(v, name)):
                    raise ValueError(f"crm.{name} must be an ${{ENV}} reference, not the secret itself")
        return v

    @field_validator("version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if v != 1:
            raise ValueError("only version 1 is known to this leadbridge")
        return v

    def policy(self, obj: str, field: str) -> FieldPolicy:
        """The field policy of `obj.field` (object-qualified entry first)."""
        spec = self.policies.get(f"{obj}.{field}") or (self.policies.get(field) if obj == "person" else None)
        if spec is None:
            return FieldPolicy(self.default_rule)
        return FieldPolicy(spec.rule, frozenset(spec.blocked_sources))


def json_schema() -> dict[str, Any]:
    """JSON Schema of leadbridge.yaml, for editor completion."""
    schema = LeadbridgeConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "leadbridge.yaml"
    return schema


def write_json_schema(path: Path) -> None:
    path.write_text(json.dumps(json_schema(), indent=2) + "\n", encoding="utf-8")


def _apply_env(data: dict[str, Any], environ: dict[str, str]) -> None:
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX) or key in ("LEADBRIDGE_WORKSPACE",):
            continue
        path = _SHORTCUTS.get(key) or tuple(p.lower() for p in key[len(ENV_PREFIX):].split("__"))
        if len(path) < 2:
            continue
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = yaml.safe_load(value) if value.strip() else value


def load_config(path: Path | None, environ: dict[str, str] | None = None,
                overrides: dict[str, Any] | None = None) -> LeadbridgeConfig:
    """Read and validate a config file (or none), then environment, then overrides."""
    data: dict[str, Any] = {}
    if path is not None and path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}", hint="fix the line shown above") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path} must hold a mapping of settings")
        data = loaded or {}
    _apply_env(data, dict(os.environ if environ is None else environ))
    for key, value in (overrides or {}).items():
        data[key] = value
    try:
        return LeadbridgeConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"{path or 'configuration'} is not valid:\n" + "\n".join(lines),
                          hint=f"see {SCHEMA_NAME} or `leadbridge config schema` for the settings") from None
