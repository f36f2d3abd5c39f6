"""Identity lookups by composite keys (campaign memberships) read only the keys asked for."""

from __future__ import annotations

import sqlalchemy as sa

from leadbridge.model import Change, SourceKind
from leadbridge.store import records
from leadbridge.workspace import Workspace


def _campaign(ws: Workspace, name: str) -> int:
    return ws.write([Change({"name": name})], SourceKind.UI, obj="campaign").ids[0]


def _join(ws: Workspace, campaign: int, people: list[int]) -> None:
    ws.write([Change({"campaign_id": campaign, "person_id": p}) for p in people], SourceKind.UI, obj="campaign_member")


def _rows_read(conn: sa.Connection) -> int:
    """Rows of campaign_member this backend has read (pending counts, which can include earlier transactions')."""
    return conn.exec_driver_sql("SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
                                "FROM pg_stat_xact_user_tables WHERE relid = CAST('campaign_member' AS regclass)"
                                ).scalar()


def test_members_of_a_campaign_newer_than_the_statistics_are_found_by_index(workspace: Workspace):
    ws = workspace
    people = ws.write([Change({"email": f"m{i}@example.com"}) for i in range(1500)], SourceKind.LIST_IMPORT).ids
    old, new = _campaign(ws, "Webinar"), _campaign(ws, "Trade show")
    _join(ws, old, people)
    if ws.db.is_postgres:  # statistics that know only the first campaign, as after a first big import
        with ws.db.atomic() as conn:
            conn.exec_driver_sql("ANALYZE campaign_member")
    _join(ws, new, people[:1200])  # 1,200 members the statistics don't know of

    asked = [(new, p) for p in people[1100:1300]]  # 100 members, 100 not (yet)
    table = ws.db.object_table("campaign_member")
    with ws.db.engine.connect() as conn, conn.begin():
        if ws.db.is_postgres:  # plan as for a table too large to read whole: this one is small enough
            for plan in ("seqscan", "mergejoin", "hashjoin"):  # that reading all of it is cheapest
                conn.exec_driver_sql(f"SET LOCAL enable_{plan} = off")
            before = _rows_read(conn)
        found = records.ids_by_key(conn, table, ("campaign_id", "person_id"), asked)
        if ws.db.is_postgres:
            read = _rows_read(conn) - before
            # each key is one index probe (a person's two memberships at most); the query it replaces
            # read all 1,200 members of the new campaign for every chunk of keys
            assert read <= 2 * len(asked), read
        expected = {(c, p): i for i, c, p in conn.execute(
            sa.select(table.c.id, table.c.campaign_id, table.c.person_id).where(table.c.campaign_id == new))}
    assert found == {k: expected[k] for k in asked if k in expected}
    assert len(found) == 100
