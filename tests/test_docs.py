"""The docs generated from code are current."""

from leadbridge.docs_gen import outputs


def test_generated_docs_are_current():
    stale = [str(p) for p, text in outputs().items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"regenerate with `make docs`: {stale}"
