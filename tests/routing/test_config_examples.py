"""The commented routing, person source and hygiene examples of the shipped leadbridge.yaml are valid config."""

from __future__ import annotations

import yaml

from leadbridge.config import LeadbridgeConfig
from leadbridge.workspace import default_config_text


def _example(text: str, section: str) -> str:
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith(f"#{section}:"):
            inside = True
        elif inside and not line.startswith("#  "):
            break
        if inside:
            out.append(line[1:])
    assert out, f"no #{section}: example in the template"
    return "\n".join(out)


def test_template_examples_validate():
    text = default_config_text()
    data = yaml.safe_load("\n".join(_example(text, s) for s in ("routing", "person_source", "hygiene")))
    cfg = LeadbridgeConfig.model_validate(data)
    assert cfg.routing.teams[0].members[2].away[0].until.isoformat() == "2027-01-02"
    assert cfg.person_source.sites.search == ["intranet-search.example.com"]
    assert [r.name for r in cfg.hygiene.rules] == ["german phones are in Germany", "no company"]
