"""leadbridge.yaml: validation, environment overrides, the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadbridge.config import json_schema, load_config
from leadbridge.errors import ConfigError
from leadbridge.model.policies import FieldRule
from leadbridge.workspace import Workspace, default_config_text

DOCS_SCHEMA = Path(__file__).parents[1] / "docs" / "leadbridge.schema.json"


def test_default_config_is_valid(tmp_path: Path):
    (tmp_path / "leadbridge.yaml").write_text(default_config_text())
    cfg = load_config(tmp_path / "leadbridge.yaml", environ={})
    assert cfg.policy("person", "lead_status").rule is FieldRule.CRM_WINS
    assert cfg.policy("person", "country").blocked_sources == frozenset({"form"})
    assert cfg.policy("person", "title").rule is FieldRule.LATEST_WINS


def test_environment_overrides_the_file(tmp_path: Path):
    (tmp_path / "leadbridge.yaml").write_text("database:\n  url: sqlite:///a.db\n")
    cfg = load_config(tmp_path / "leadbridge.yaml",
                      environ={"LEADBRIDGE_DATABASE_URL": "sqlite:///b.db", "LEADBRIDGE_WRITE__BATCH_SIZE": "50"})
    assert (cfg.database.url, cfg.write.batch_size) == ("sqlite:///b.db", 50)


def test_invalid_config_lists_every_problem(tmp_path: Path):
    (tmp_path / "leadbridge.yaml").write_text("write:\n  batch_size: 0\npolicies:\n  title: {rule: sometimes}\nbogus: 1\n")
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "leadbridge.yaml", environ={})
    text = str(exc.value)
    assert "write.batch_size" in text and "policies.title.rule" in text and "bogus" in text


def test_broken_yaml_is_a_config_error(tmp_path: Path):
    (tmp_path / "leadbridge.yaml").write_text("database: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "leadbridge.yaml", environ={})


def test_committed_json_schema_is_current():
    assert json.loads(DOCS_SCHEMA.read_text()) == json_schema(), \
        "docs/leadbridge.schema.json is stale: run `leadbridge config schema -o docs/leadbridge.schema.json`"


def test_custom_fields_from_config_become_columns(tmp_path: Path):
    ws = Workspace.init(tmp_path)
    cfg = tmp_path / "leadbridge.yaml"
    cfg.write_text(cfg.read_text().replace("fields: []", "fields:\n  - {name: nps, type: integer}"))
    ws.close()
    with Workspace.open(tmp_path) as ws2:
        assert ws2.db.objects["person"].field("nps").type.value == "integer"
