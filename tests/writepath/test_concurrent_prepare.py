"""Concurrent writes: a batch prepared outside the write lock stores exactly what a locked one would.

Each test lets another writer commit between the prepare and the commit (from inside a stage, the
moment the batch is being prepared), then checks that the batch was prepared again and that
nothing the other writer did was lost or duplicated.
"""

from __future__ import annotations

from typing import Callable

import sqlalchemy as sa

from leadbridge.model.changes import Change, Outcome, SourceKind
from leadbridge.workspace import Workspace
from leadbridge.writepath.item import PendingItem, WriteContext


class Meddler:
    """A stage that, the first time it runs, has another workspace commit a write (a concurrent writer)."""

    name = "meddler"
    snapshot_safe = True

    def __init__(self, meddle: Callable[[], None]):
        self.meddle, self.calls, self.locked = meddle, 0, []

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        self.calls += 1
        self.locked.append(bool(ctx.conn.get_execution_options().get("write")))
        if self.calls == 1:
            self.meddle()


def _other(ws: Workspace) -> Workspace:
    return Workspace.open(ws.root, database_url=ws.db.url)


def test_a_record_changed_meanwhile_is_prepared_again(workspace: Workspace):
    pid = workspace.write([Change({"email": "ann@example.com", "title": "Engineer"})], SourceKind.API).items[0].id
    other = _other(workspace)
    meddler = Meddler(lambda: other.write([Change({"city": "Paris"}, id=pid)], SourceKind.UI))
    workspace.stages.insert(0, meddler)
    res = workspace.write([Change({"email": "ann@example.com", "title": "CTO"})], SourceKind.API, concurrent=True)
    other.close()
    assert res.items[0].outcome is Outcome.UPDATED
    assert workspace.pipeline.conflicts == 1
    assert meddler.locked == [False, True]  # prepared on a read transaction, then again under the lock
    rec = workspace.get(pid)
    assert (rec["title"], rec["city"]) == ("CTO", "Paris")
    changes = [(h["field"], h["new"], h["source"]) for h in workspace.history(pid) if h["kind"] == "update"]
    assert ("city", "Paris", "ui") in changes and ("title", "CTO", "api") in changes


def test_a_person_created_meanwhile_is_updated_not_duplicated(workspace: Workspace):
    other = _other(workspace)
    meddler = Meddler(lambda: other.write([Change({"email": "new@example.com", "city": "Oslo"})], SourceKind.FORM))
    workspace.stages.insert(0, meddler)
    res = workspace.write([Change({"email": "New@Example.com", "title": "CFO"})], SourceKind.LIST_IMPORT,
                          concurrent=True)
    other.close()
    assert workspace.pipeline.conflicts == 1
    people = workspace.list(where="email_key = 'new@example.com'")
    assert len(people) == 1
    assert res.items[0].outcome is Outcome.UPDATED and res.items[0].id == people[0]["id"]
    assert (people[0]["city"], people[0]["title"]) == ("Oslo", "CFO")


def test_a_stage_read_that_changed_meanwhile_is_read_again(workspace: Workspace):
    """A stage's decision rests on what it read through ctx.read: a change there prepares the batch again."""
    def users(conn) -> int:
        return conn.execute(sa.select(sa.func.count()).select_from(workspace.db.object_table("user"))).scalar_one()

    class CountUsers:
        name, snapshot_safe = "count users", True

        def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
            for item in items:
                item.set("title", f"{ctx.read('users', users)} users")

    other = _other(workspace)
    meddler = Meddler(lambda: other.write([Change({"email": "rep@example.com", "name": "Rep"})], SourceKind.API,
                                          obj="user"))
    workspace.stages[:0] = [CountUsers(), meddler]  # counted, then a user is added before the commit
    res = workspace.write([Change({"email": "bo@example.com"})], SourceKind.API, concurrent=True)
    other.close()
    assert workspace.pipeline.conflicts == 1
    assert workspace.get(res.items[0].id)["title"] == "1 users"


def test_nothing_changed_meanwhile_commits_what_was_prepared(workspace: Workspace):
    meddler = Meddler(lambda: None)
    workspace.stages.insert(0, meddler)
    changes = [Change({"email": f"p{i}@example.com", "country": "USA", "phone": "415 555 0132"}) for i in range(30)]
    res = workspace.write(changes, SourceKind.LIST_IMPORT, concurrent=True)
    assert workspace.pipeline.conflicts == 0 and meddler.locked == [False]
    assert res.count(Outcome.CREATED) == 30
    rec = workspace.get(res.items[0].id)
    assert (rec["country"], rec["phone"], rec["registration_source_type"]) == ("United States", "+14155550132",
                                                                                "List Import")
    assert len(workspace.history(res.items[0].id)) > 3


def test_a_stage_not_marked_snapshot_safe_keeps_every_prepare_under_the_lock(workspace: Workspace):
    class Unmarked:
        name = "unmarked"

        def __init__(self):
            self.locked: list[bool] = []

        def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
            self.locked.append(bool(ctx.conn.get_execution_options().get("write")))

    stage = Unmarked()
    workspace.stages.append(stage)
    workspace.write([Change({"email": "locked@example.com"})], SourceKind.API, concurrent=True)
    assert stage.locked == [True]
