"""Routing in a workspace: on entry, on location changes, `route run` through the write path, simulate."""

from __future__ import annotations

import json

import sqlalchemy as sa
import yaml

from leadbridge.cli.main import main
from leadbridge.model import Change, SourceKind
from leadbridge.model.changes import Source
from leadbridge.routing.config import Member, RouteRule, RoutingConfig, Team
from leadbridge.routing.run import run, simulate
from leadbridge.store import routing_state
from leadbridge.workspace import Workspace


def use_routing(ws: Workspace, cfg: RoutingConfig) -> None:
    """The routing config, in memory and in leadbridge.yaml (for the CLI)."""
    ws.config.routing = cfg
    section = cfg.model_dump(mode="json", by_alias=True, exclude={"territories"}, exclude_defaults=True)
    path = ws.root / "leadbridge.yaml"
    path.write_text(path.read_text() + "\n" + yaml.safe_dump({"routing": section}, sort_keys=False))


def setup(ws: Workspace, **team_kw) -> list[int]:
    """Users anna, ben and uma, a DACH team (anna, ben), a US team (uma), two rules; the user ids."""
    use_routing(ws, RoutingConfig(
        teams=[Team(name="DACH", members=[Member(user="anna@x.com"), Member(user="ben@x.com")], **team_kw),
               Team(name="US", territories=["NA West", "NA Central", "NA East", "NA"],
                    members=[Member(user="uma@x.com")])],
        rules=[RouteRule(name="dach", when="country in (DE, AT, CH)", team="DACH"),
               RouteRule(name="own territory", when="country is not empty", territory="*")]))
    return ws.write([Change({"email": f"{n}@x.com", "name": n.title(), "active": True})
                     for n in ("anna", "ben", "uma")], SourceKind.SYSTEM, "user").ids


def counters(ws: Workspace) -> dict[str, int]:
    t = ws.db.table("route_counter")
    with ws.db.engine.connect() as conn:
        return {r.user_email: r.total for r in conn.execute(sa.select(t))}


def decisions(ws: Workspace) -> int:
    t = ws.db.table("route_decision")
    with ws.db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()


def test_new_people_are_routed_on_entry_and_the_decision_explained(workspace: Workspace, capsys):
    ws = workspace
    anna, ben, _ = setup(ws)
    ids = ws.write([Change({"email": f"p{i}@example.de", "country": "Germany"}) for i in range(4)],
                   SourceKind.FORM).ids
    assert [ws.get(i)["owner_id"] for i in ids] == [anna, ben, anna, ben]  # round robin
    assert ws.get(ids[0])["time_zone"] == "Europe/Berlin" and ws.get(ids[0])["territory"] == "EMEA"
    owner = next(h for h in ws.history(ids[0]) if h["field"] == "owner_id")
    assert owner["source"] == "form" and owner["note"] == ("routing: routed to EMEA/DACH team → anna@x.com because "
                                                           "country=Germany matched rule 1 'dach'")
    assert counters(ws) == {"anna@x.com": 2, "ben@x.com": 2}
    assert main(["route", "explain", str(ids[0]), "-w", str(ws.root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [d["explanation"] for d in report["decisions"]] == [owner["note"].removeprefix("routing: ")]
    assert report["now"]["user"] == "anna@x.com"  # what routing would say now (counters copied, not moved)
    assert counters(ws) == {"anna@x.com": 2, "ben@x.com": 2}


def test_crm_pulls_and_people_with_an_owner_only_get_territory_and_time_zone(workspace: Workspace):
    ws = workspace
    anna, ben, _ = setup(ws)
    pulled = ws.write([Change({"email": "crm@example.de", "country": "Germany", "last_name": "C"},
                              crm_id="00Q000000000777AAA", crm_object="Lead")], SourceKind.CRM).ids[0]
    owned = ws.write([Change({"email": "own@example.de", "country": "Germany", "owner_id": ben})],
                     SourceKind.LIST_IMPORT).ids[0]
    for pid, owner in ((pulled, None), (owned, ben)):
        p = ws.get(pid)
        assert (p["owner_id"], p["territory"], p["time_zone"]) == (owner, "EMEA", "Europe/Berlin")
        assert routing_state.decisions_of(ws.db, pid) == []
    assert counters(ws) == {}  # no round-robin slot spent


def test_a_move_updates_territory_and_time_zone_and_may_reroute(workspace: Workspace):
    ws = workspace
    anna, _, uma = setup(ws)
    pid = ws.write([Change({"email": "m@example.de", "country": "Germany"})], SourceKind.FORM).ids[0]
    assert ws.get(pid)["owner_id"] == anna
    ws.write([Change({"country": "USA", "state": "Calif."}, id=pid)], SourceKind.UI)
    p = ws.get(pid)
    assert (p["territory"], p["time_zone"], p["owner_id"]) == ("NA West", "America/Los_Angeles", anna)
    ws.config.routing.reroute_on_location_change = True
    ws.write([Change({"state": "Texas"}, id=pid)], SourceKind.UI)
    p = ws.get(pid)
    assert (p["territory"], p["time_zone"], p["owner_id"]) == ("NA Central", "America/Chicago", uma)
    assert routing_state.decisions_of(ws.db, pid)[-1]["team"] == "US"
    unknown = ws.write([Change({"country": "Narnia"}, id=pid)], SourceKind.UI)
    assert unknown.items[0].outcome.value == "updated"
    assert ws.get(pid)["territory"] == "NA Central"  # an unknown place keeps what was known


def test_route_run_routes_the_unowned_keeps_owners_and_reassigns_on_request(workspace: Workspace):
    ws = workspace
    anna, ben, uma = setup(ws)
    ws.config.routing.on_entry = False
    ids = ws.write([Change({"email": f"r{i}@example.de", "country": "DE"}) for i in range(3)]
                   + [Change({"email": "kept@example.com", "country": "US", "owner_id": ben})], SourceKind.API).ids
    assert [ws.get(i)["owner_id"] for i in ids] == [None, None, None, ben]
    assert ws.get(ids[0])["territory"] == "EMEA"  # territory and time zone even without routing on entry

    dry = run(ws, dry_run=True)
    assert (dry["people"], dry["routed"], dry["kept_owner"]) == (4, 3, 1)
    assert dry["by_owner"] == {"anna@x.com": 2, "ben@x.com": 2}
    assert [ws.get(i)["owner_id"] for i in ids[:3]] == [None, None, None]
    assert decisions(ws) == 0 and counters(ws) == {}  # the dry run's counters rolled back with it

    report = run(ws)
    assert (report["routed"], report["changed"], report["kept_owner"]) == (3, 3, 1)
    assert [ws.get(i)["owner_id"] for i in ids] == [anna, ben, anna, ben]
    assert counters(ws) == {"anna@x.com": 2, "ben@x.com": 1}
    assert report["by_rule"] == {"dach": 3}
    hist = [h for h in ws.history(ids[0]) if h["field"] == "owner_id"][-1]
    assert (hist["source"], hist["source_detail"]) == ("routing", "route run")

    idle = run(ws)  # everyone has an owner now and territory and zone are current: nothing to write
    assert (idle["routed"], idle["changed"], idle["kept_owner"]) == (0, 0, 4)
    assert idle["by_owner"] == {"anna@x.com": 2, "ben@x.com": 2}
    assert counters(ws) == {"anna@x.com": 2, "ben@x.com": 1}

    again = run(ws, reassign=True)
    assert again["routed"] == 4 and ws.get(ids[3])["owner_id"] == uma  # the US person now follows the rules
    assert counters(ws) == {"anna@x.com": 3, "ben@x.com": 3, "uma@x.com": 1}


def test_route_run_leaves_crm_people_whose_owner_is_a_crm_queue(workspace: Workspace):
    ws = workspace
    _, _, _ = setup(ws)
    queued = ws.write([Change({"email": "q@example.de", "country": "Germany", "last_name": "Q"},
                              crm_id="00Q000000000888AAA", crm_object="Lead")], SourceKind.CRM).ids[0]
    report = run(ws)
    assert (report["routed"], report["kept_owner"]) == (0, 1) and report["by_owner"] == {"(owner in the CRM)": 1}
    assert ws.get(queued)["owner_id"] is None
    assert run(ws, reassign=True)["routed"] == 1 and ws.get(queued)["owner_id"] is not None


def test_counters_add_up_across_route_run_and_on_entry_routing(workspace: Workspace):
    """Counters are read and incremented inside each routing batch: nothing counted by one is lost."""
    ws = workspace
    anna, ben, _ = setup(ws)
    ws.config.routing.on_entry = False
    first = ws.write([Change({"email": "a1@example.de", "country": "DE"})], SourceKind.API).ids
    run(ws)
    ws.config.routing.on_entry = True
    later = ws.write([Change({"email": f"n{i}@example.de", "country": "DE"}) for i in range(3)], SourceKind.FORM).ids
    assert [ws.get(i)["owner_id"] for i in first + later] == [anna, ben, anna, ben]
    assert counters(ws) == {"anna@x.com": 2, "ben@x.com": 2}


def test_simulate_replays_people_with_their_values_at_entry(workspace: Workspace):
    ws = workspace
    anna, _, uma = setup(ws)
    pid = ws.write([Change({"email": "s@example.de", "country": "Germany", "lead_score": 10})],
                   SourceKind.FORM).ids[0]
    ws.write([Change({"country": "United States", "state": "NY", "lead_score": 99}, id=pid)], SourceKind.UI)
    ws.config.routing.rules.insert(0, RouteRule(name="vip", when="lead_score >= 90", user="uma@x.com"))
    sim = simulate(ws, "-90d")
    assert sim["people"] == 1 and sim["by_territory"] == {"EMEA": 1}  # as they came: German, score 10
    assert sim["by_rule"] == {"dach": 1} and sim["by_owner"] == {"anna@x.com": 1}
    assert sim["owner_differs"] == 0 and sim["replayed_with_current_values"] == 0
    assert counters(ws) == {"anna@x.com": 1}  # simulate changes nothing


def test_cli_route_run_and_simulate(workspace: Workspace, capsys):
    ws = workspace
    anna, ben, _ = setup(ws)
    cfg = ws.config.routing.model_copy(update={"on_entry": False})
    text = (ws.root / "leadbridge.yaml").read_text()
    (ws.root / "leadbridge.yaml").write_text(text[:text.rindex("\nrouting:")])
    use_routing(ws, cfg)
    ids = ws.write([Change({"email": f"c{i}@example.de", "country": "Austria"}) for i in range(2)],
                   SourceKind.API).ids
    assert main(["route", "run", "--dry-run", "--json", "-w", str(ws.root)]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] is True and dry["routed"] == 2 and ws.get(ids[0])["owner_id"] is None
    assert main(["route", "run", "--where", "country = Austria", "-w", str(ws.root)]) == 0
    out = capsys.readouterr().out
    assert "routed 2 of 2 people (2 changed)" in out
    assert [ws.get(i)["owner_id"] for i in ids] == [anna, ben]
    assert main(["route", "simulate", "--since", "30d", "--json", "-w", str(ws.root)]) == 0
    sim = json.loads(capsys.readouterr().out)
    assert sim["people"] == 2 and sim["by_owner"] == {"anna@x.com": 1, "ben@x.com": 1}
    assert main(["route", "run", "--where", "nosuchfield = 1", "-w", str(ws.root)]) != 0
    assert "unknown field 'nosuchfield'" in capsys.readouterr().err


def test_route_run_source_is_the_one_door(workspace: Workspace):
    """A `route run` batch is an ordinary write: history, outbox for the owner, nothing else touched."""
    ws = workspace
    anna, _, _ = setup(ws)
    ws.config.routing.on_entry = False
    pid = ws.write([Change({"email": "o@example.de", "country": "DE", "last_name": "O"})], SourceKind.API).ids[0]
    res = ws.write([Change({}, id=pid, create=False)], Source(SourceKind.ROUTING, "route run"))
    assert res.items[0].pushed == ("owner_id",)  # territory and time zone are marketing-only
    assert ws.get(pid)["owner_id"] == anna
