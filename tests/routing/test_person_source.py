"""Person source: the GA4 channel table row by row (specs/person-source.md), inputs in the spec's order,
registration source stamped on entry, configurable rules and site lists, backfill with overrides."""

from __future__ import annotations

import json

import pytest

from leadbridge.cli.main import main
from leadbridge.model import Change, SourceKind
from leadbridge.model.changes import Source
from leadbridge.sourcing.backfill import backfill
from leadbridge.sourcing.channels import CHANNELS, channel
from leadbridge.sourcing.config import PersonSourceConfig, SiteLists, SourceRule
from leadbridge.sourcing.derive import SourceDeriver
from leadbridge.workspace import Workspace

# (source, medium, campaign, referrer) → channel: one or more cases per row of the spec's table, in its order
ROWS = [
    ("(direct)", "(none)", None, None, "Direct"),
    ("(direct)", "(not set)", None, None, "Direct"),
    (None, None, None, None, "Direct"),
    ("google", "cpc", "Spring cross-network push", None, "Cross-network"),
    ("amazon", "cpc", None, None, "Paid Shopping"),
    ("newsletter", "paid_promo", "summer-shop", None, "Paid Shopping"),
    ("google", "cpc", None, None, "Paid Search"),
    ("bing", "ppc", None, None, "Paid Search"),
    ("www.google.de", "retargeting", None, None, "Paid Search"),
    ("linkedin", "paid_social", None, None, "Paid Social"),
    ("youtube", "cpv", None, None, "Paid Video"),
    ("bilibili", "paid", None, None, "Paid Video"),
    ("adnet", "display", None, None, "Display"),
    ("adnet", "cpm", None, None, "Display"),
    ("adnet", "banner", None, None, "Display"),
    ("partner", "cpc", None, None, "Paid Other"),
    ("ebay", "referral", None, None, "Organic Shopping"),
    ("mailer", "email", "holiday shopping", None, "Organic Shopping"),
    ("facebook", "referral", None, None, "Organic Social"),
    ("forum", "social-network", None, None, "Organic Social"),
    ("vimeo", "referral", None, None, "Organic Video"),
    ("bilibili", "referral", None, None, "Organic Video"),
    ("publisher", "video", None, None, "Organic Video"),
    ("duckduckgo", "referral", None, None, "Organic Search"),
    ("anything", "organic", None, None, "Organic Search"),
    ("partner-site", "referral", None, None, "Referral"),
    ("mobile-app", "app", None, None, "Referral"),
    ("blog", "link", None, None, "Referral"),
    ("email", "referral", None, None, "Referral"),      # Referral comes before Email
    ("newsletter", "email", None, None, "Email"),
    ("e-mail", "blast", None, None, "Email"),
    ("partnerx", "affiliate", None, None, "Affiliates"),
    ("spotify-ads", "audio", None, None, "Audio"),
    ("sms", "text", None, None, "SMS"),
    ("gateway", "sms", None, None, "SMS"),
    ("app", "web-push", None, None, "Mobile Push Notifications"),
    ("app", "mobile", None, None, "Mobile Push Notifications"),
    ("firebase", "x", None, None, "Mobile Push Notifications"),
    ("foo", "bar", None, None, "Unassigned"),
    # referrer only: source = the referrer's host, medium organic (search engines) or referral
    (None, None, None, "https://www.google.co.uk/search?q=x", "Organic Search"),
    (None, None, None, "https://l.facebook.com/l.php?u=x", "Organic Social"),
    (None, None, None, "https://www.amazon.de/dp/1", "Organic Shopping"),
    (None, None, None, "https://news.ycombinator.com/item?id=1", "Referral"),
]


@pytest.mark.parametrize("source,medium,campaign,referrer,expected", ROWS)
def test_ga4_channel_table(source, medium, campaign, referrer, expected):
    assert channel(source, medium, referrer, campaign)[0] == expected


def test_every_channel_of_the_table_is_reachable():
    assert {r[-1] for r in ROWS} == set(CHANNELS)


def deriver(**kw) -> SourceDeriver:
    return SourceDeriver(PersonSourceConfig(**kw))


def test_inputs_in_the_spec_order_utm_then_source_fields_then_referrer():
    d = deriver()
    both = {"utm_source": "linkedin", "utm_medium": "paid_social", "original_referrer": "https://www.google.com/"}
    assert d.derive(both)[0] == "Paid Social"
    landing = {"original_source_type": "Web page visit",
               "original_source_info": "https://acme.com/lp?utm_source=newsletter&utm_medium=email",
               "original_referrer": "https://www.google.com/"}
    assert d.derive(landing) == ("Email", "GA4 channel from original source URL: source 'newsletter' / medium "
                                          "'email'")
    typed = {"original_source_type": "Email", "original_referrer": "https://www.bing.com/"}
    assert d.derive(typed)[0] == "Email"
    assert d.derive({"original_referrer": "https://www.bing.com/search"})[0] == "Organic Search"
    form = {"registration_source_type": "Web Form", "registration_source_info": "Contact us"}
    assert d.derive(form)[0] == "Direct"  # a form fill with no referrer and no UTM is direct traffic
    assert d.derive({"email": "a@x.com"}) == (None, "no rule matches and no UTM parameters, web source or referrer")


def test_rules_render_fixed_values_channel_and_source():
    d = deriver(rules=[SourceRule(name="trade show", when="original_source_type = 'Trade Show'",
                                  value="Trade Show: {original_source_info}"),
                       SourceRule(name="web", value="{channel}: {source}")])
    assert d.derive({"original_source_type": "Trade Show", "original_source_info": "Expo"})[0] == "Trade Show: Expo"
    assert d.derive({"utm_source": "google", "utm_medium": "cpc"})[0] == "Paid Search: google"
    assert d.derive({"original_referrer": "https://www.google.co.uk/"})[0] == "Organic Search: google"
    assert d.derive({"registration_source_type": "List Import"})[0] is None  # no visit: {channel} is empty
    assert d.derive({"registration_source_type": "Web Form"})[0] == "Direct"  # no {source}: the next rule
    lists = deriver()
    assert lists.derive({"registration_source_type": "List Import", "registration_source_info": "Expo"})[0] == \
        "List Import: Expo"
    assert lists.derive({"registration_source_type": "List Import"})[0] is None  # no list name: left to the audit
    assert deriver(channel_value="Web: {channel}").derive({"utm_medium": "email"})[0] == "Email"  # rule 1 first
    assert deriver(rules=[], channel_value="Web: {channel}").derive({"utm_medium": "email"})[0] == "Web: Email"


def test_site_lists_are_extensible():
    assert deriver().derive({"original_referrer": "https://intranet-search.example/"})[0] == "Referral"
    extra = deriver(sites=SiteLists(search=["intranet-search.example"], shopping=["shop.example.org"]))
    assert extra.derive({"original_referrer": "https://intranet-search.example/"})[0] == "Organic Search"
    assert extra.derive({"utm_source": "shop.example.org", "utm_medium": "cpc"})[0] == "Paid Shopping"


@pytest.mark.parametrize("source,kind,info", [
    (Source(SourceKind.LIST_IMPORT, "Expo 2026"), "List Import", "Expo 2026"),
    (Source(SourceKind.FORM, "Contact us"), "Web Form", "Contact us"),
    (Source(SourceKind.API, None, "zapier"), "Web Service API", "zapier"),
    (Source(SourceKind.UI, None, "maria"), "Manual", "maria"),
])
def test_registration_source_is_stamped_on_entry(workspace: Workspace, source, kind, info):
    pid = workspace.write([Change({"email": "r@example.com"})], source).ids[0]
    p = workspace.get(pid)
    assert (p["registration_source_type"], p["registration_source_info"]) == (kind, info)
    if kind == "List Import":
        assert p["person_source"] == "List Import: Expo 2026"  # the default rule, from the stamp
    if kind == "Web Form":
        assert p["person_source"] == "Direct"


def test_registration_from_the_crm_and_values_the_change_carries(workspace: Workspace):
    ws = workspace
    pulled = ws.write([Change({"email": "c@example.com", "last_name": "C"}, crm_id="00Q000000000123AAA",
                              crm_object="Lead")], Source(SourceKind.CRM, "Lead")).ids[0]
    p = ws.get(pulled)
    assert (p["registration_source_type"], p["registration_source_info"], p["person_source"]) == \
        ("Salesforce", "Lead", "Sales Generated")
    carried = ws.write([Change({"email": "w@example.com", "registration_source_type": "Webinar",
                                "registration_source_info": "Q3 launch"})], SourceKind.LIST_IMPORT).ids[0]
    assert ws.get(carried)["registration_source_type"] == "Webinar"
    ws.config.person_source.stamp_registration = False
    plain = ws.write([Change({"email": "n@example.com"})], SourceKind.FORM).ids[0]
    assert ws.get(plain)["registration_source_type"] is None


def test_person_source_on_entry_and_backfill_with_overrides(workspace: Workspace, tmp_path, capsys):
    ws = workspace
    a = ws.write([Change({"email": "a@x.com", "utm_source": "google", "utm_medium": "cpc"})], SourceKind.FORM).ids[0]
    assert ws.get(a)["person_source"] == "Paid Search"
    ws.config.person_source.on_entry = False
    ids = ws.write([Change({"email": "b@x.com"}), Change({"email": "c@x.com"}), Change({"email": "d@x.com"})],
                   Source(SourceKind.LIST_IMPORT, "Expo 2026")).ids
    ws.write([Change({"registration_source_type": None, "registration_source_info": None}, id=i) for i in ids[1:]],
             SourceKind.UI)
    report = backfill(ws, dry_run=True)
    assert report["filled"] == 1 and report["still_without_source"] == 2 and ws.get(ids[0])["person_source"] is None
    overrides = tmp_path / "sources.csv"
    overrides.write_text("email,person_source\nc@x.com,Partner referral\na@x.com,Other\nghost@x.com,Other\n",
                         encoding="utf-8")
    report = backfill(ws, overrides=overrides)
    assert report["filled"] == 2 and report["still_without_source"] == 1
    assert ws.get(ids[0])["person_source"] == "List Import: Expo 2026"
    assert ws.get(ids[1])["person_source"] == "Partner referral"
    assert [h["source"] for h in ws.history(ids[1])][-1] == "sourcing"
    assert {o["key"]: o["reason"] for o in report["overrides_not_applied"]} == {
        "a@x.com": "already has a source: 'Paid Search'", "ghost@x.com": "no such person (by id or email)"}
    assert main(["source", "backfill", "--dry-run", "--json", "-w", str(ws.root)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["filled"] == 0 and out["still_without_source"] == 1
