"""Helpers that write list files in any encoding/shape for the import tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadbridge.importing import ImportOptions, run_import


@pytest.fixture
def importer(workspace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def run(path: Path, **kw):
        return run_import(workspace, path, ImportOptions(**kw))
    return run
