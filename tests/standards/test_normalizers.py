"""Normalizers: what users type → what is stored (or an honest no-match)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from leadbridge.standards.country import normalize_country
from leadbridge.standards.email import normalize_email
from leadbridge.standards.names import company_key, normalize_company, normalize_name
from leadbridge.standards.phone import normalize_phone
from leadbridge.standards.subdivision import normalize_state


@pytest.mark.parametrize("text,code", [
    ("US", "US"), ("USA", "US"), ("U.S.A.", "US"), ("united states", "US"), ("United States of America", "US"),
    ("美国", "US"), ("États-Unis", "US"), ("Estados Unidos", "US"), ("Vereinigte Staaten", "US"), ("840", "US"),
    ("中国", "CN"), ("PRC", "CN"), ("Deutschland", "DE"), ("DEU", "DE"), ("Allemagne", "DE"), ("Россия", "RU"),
    ("UK", "GB"), ("Great Britain", "GB"), ("England", "GB"), ("Holland", "NL"), ("South Korea", "KR"),
    ("대한민국", "KR"), ("Türkiye", "TR"), ("Turkey", "TR"), ("Viet Nam", "VN"), ("Ivory Coast", "CI"),
    ("Côte d'Ivoire", "CI"), ("日本", "JP"), ("Brasil", "BR"), ("  france ", "FR"), ("Schweiz", "CH"),
])
def test_country_names_in_any_language(text, code):
    assert normalize_country(text).code == code


@pytest.mark.parametrize("text,flag", [("Europe", "no_match"), ("N/A", "no_match"), ("test", "no_match"),
                                       ("Georgia", "ambiguous"), ("Congo", "ambiguous"), ("Narnia", "no_match")])
def test_country_never_guesses(text, flag):
    n = normalize_country(text)
    assert n.code is None and flag in n.flags and not n.ok


@pytest.mark.parametrize("text,country,code", [
    ("California", "US", "CA"), ("Calif.", "US", "CA"), ("Mass.", "US", "MA"), ("D.C.", "US", "DC"), ("ny", "US", "NY"),
    ("Québec", "CA", "QC"), ("Colombie-Britannique", "CA", "BC"), ("Ont.", "CA", "ON"), ("Bayern", "DE", "BY"),
    ("DE-BY", "DE", "BY"), ("Île-de-France", "FR", "IDF"),
])
def test_states_and_provinces(text, country, code):
    assert normalize_state(text, country).value == code


def test_state_not_of_that_country_is_flagged():
    assert "no_match" in normalize_state("Texas", "CA").flags


def test_email_rules():
    assert normalize_email("  Ann.Lee@Example.COM ").value == "Ann.Lee@example.com"
    typo = normalize_email("ann@gmial.com")
    assert typo.value == "ann@gmial.com" and typo.suggestion == "ann@gmail.com"  # suggested, never applied
    assert "role" in normalize_email("info@acme.io").flags
    assert "disposable" in normalize_email("x@mailinator.com").flags
    assert "test" in normalize_email("test123@acme.io").flags
    bad = normalize_email("b.levy@expressl&t.net")
    assert not bad.ok and "invalid" in bad.flags and bad.value == "b.levy@expressl&t.net"  # kept, flagged
    assert normalize_email("ann@acme.com").suggestion is None


def test_phone_uses_the_record_country():
    assert normalize_phone("(415) 555-0132", "US").value == "+14155550132"
    assert normalize_phone("030 12345678", "DE").value == "+493012345678"
    assert normalize_phone("+44 20 7946 0958", None).value == "+442079460958"
    bad = normalize_phone("12345", "US")
    assert bad.value == "12345" and "invalid" in bad.flags


def test_names_and_companies():
    assert normalize_name("JOHN MCDONALD").value == "John McDonald"
    assert normalize_name("mary van der berg").value == "Mary van der Berg"
    assert normalize_name("McKenzie-Smith").value == "McKenzie-Smith"  # mixed case is kept
    assert normalize_name("宋 志强").value == "宋 志强"
    assert normalize_name("  Ann   Lee ").value == "Ann Lee"
    assert normalize_company("ACME SOLUTIONS GMBH").value == "Acme Solutions GmbH"
    assert company_key("Acme, Inc.") == company_key("ACME GmbH") == company_key("acme") == "acme"
    assert company_key("通际名联传媒有限公司") == "通际名联传媒"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
@example("ß")
@example("İSTANBUL")
@example("ŉ")
def test_normalizers_are_idempotent(text):
    for fn in (normalize_country, normalize_email, normalize_name):
        once = fn(text)
        if once.value is not None and once.ok:
            again = fn(once.value)
            assert again.value == once.value or (fn is normalize_country and again.code == once.code)
    state = normalize_state(text, "US")
    if state.value:
        assert normalize_state(state.value, "US").value == state.value


@pytest.mark.parametrize("address", [
    "ann@example.com", "a.b-c+tag@sub.example.co.uk", "x@localhost", "a..b@example.com", "a@b", "a@-b.com",
    "user@example.local", "\"quoted\"@example.com", "δοκιμή@παράδειγμα.δοκιμή", "a@b.c", "x@[127.0.0.1]",
    "very.long." + "x" * 60 + "@example.com",
])
def test_fast_path_agrees_with_email_validator(address):
    from email_validator import EmailNotValidError, validate_email
    try:
        validate_email(address, check_deliverability=False, allow_smtputf8=True)
        expected = True
    except EmailNotValidError:
        expected = False
    assert normalize_email(address).ok is expected
