"""Column → field suggestions: each with its reason and confidence (pure: no workspace)."""

from __future__ import annotations

from leadbridge.importing.mapping import suggest_mapping
from leadbridge.model.objects import PERSON


def suggestions(*headers: str) -> dict[str, tuple]:
    return {m.column: (m.field, m.reason, m.confidence) for m in suggest_mapping(headers, PERSON).matches}


def test_name_crm_id_label_synonym_then_fuzzy():
    got = suggestions("email", "FirstName", "Postal Code", "E-mail Address", "Job Title", "Emial Adress", "Shoe size")
    assert got["email"] == ("email", "field name", 1.0)
    assert got["FirstName"] == ("first_name", "CRM field id", 1.0)
    assert got["Postal Code"][0] == "postal_code" and got["Postal Code"][2] == 1.0
    assert got["E-mail Address"] == (None, "no field matches", 0.0)  # email is taken: never mapped twice
    assert got["Job Title"] == ("title", "field label", 1.0)
    assert got["Shoe size"] == (None, "no field matches", 0.0)
    field, reason, confidence = suggestions("Emial Adress")["Emial Adress"]
    assert field == "email" and reason.startswith("fuzzy: looks like") and 0.86 <= confidence < 1.0


def test_chinese_and_english_synonyms():
    got = suggestions("邮箱", "手机", "公司名称", "国家/地区", "省份", "姓名", "职位", "E-mail")
    assert {h: f for h, (f, _, _) in got.items()} == {
        "邮箱": "email", "手机": "mobile_phone", "公司名称": "company", "国家/地区": "country", "省份": "state",
        "姓名": "full_name", "职位": "title", "E-mail": None}
    assert {r for _, r, _ in list(got.values())[:7]} == {"synonym"}


def test_headers_are_matched_ignoring_case_spacing_and_punctuation():
    got = suggestions("  E_MAIL  ", "first-name", "Company Name:")
    assert [f for f, _, _ in got.values()] == ["email", "first_name", "company"]
