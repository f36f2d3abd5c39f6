"""The country index is built once (every CLDR locale) and then read from the user's cache folder."""

from __future__ import annotations

import pytest

from leadbridge.standards import country


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADBRIDGE_CACHE_DIR", str(tmp_path))
    country._index.cache_clear()
    yield tmp_path
    country._index.cache_clear()


def test_index_is_cached_on_disk_and_read_back_identical(cache_dir):
    built = country._index()
    files = list(cache_dir.glob("country-index-*.json"))
    assert len(files) == 1 and files[0].stat().st_size > 100_000
    country._index.cache_clear()
    assert country._index() == built == country._build_index()
    assert country.normalize_country("Deutschland").code == "DE"


def test_a_damaged_or_unwritable_cache_only_costs_a_rebuild(cache_dir, monkeypatch):
    country._index()
    path = next(cache_dir.glob("country-index-*.json"))
    path.write_bytes(b'{"deutschland": "FR", trunc')  # torn write by something else
    country._index.cache_clear()
    assert country.normalize_country("Deutschland").code == "DE"
    blocker = cache_dir / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LEADBRIDGE_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    country._index.cache_clear()
    assert country.normalize_country("Frankreich").code == "FR"


def test_the_cache_key_follows_the_alias_file_and_the_builder(cache_dir, monkeypatch):
    first = country._cache_path()
    monkeypatch.setattr(country.inspect, "getsource", lambda fn: "a different builder")
    assert country._cache_path() != first
