"""A person's export holds what they did in content; their erasure leaves their contributions with no
author and no row naming them."""

from sqlalchemy import String, Text, select, text, update

from content.models import OUTBOX, Base, Post
from svclib.db import utcnow


def rows_naming(db, value: str) -> list[str]:
    found = []
    with db.transaction() as tx:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, String | Text) or "JSON" in str(column.type):
                    statement = text(f'SELECT count(*) FROM "{table.name}" WHERE CAST("{column.name}" AS TEXT) LIKE :v')
                    if tx.session.execute(statement, {"v": f"%{value}%"}).scalar():
                        found.append(f"{table.name}.{column.name}")
    return found


def test_export_then_erasure(service, db):
    own = service.create_post("dan", "rivers", "article", "Mine", body="Written here.")
    others = service.create_post("bob", "rivers", "article", "Theirs", body="His.")
    held = service.edit_post("dan", others["id"], 1, "a try", body="His, and mine.")
    comment = service.create_comment("dan", others["id"], "A thought.")
    service.create_comment("bob", others["id"], "A reply.", parent_id=comment["id"])
    service.vote("dan", "post", others["id"], 1)
    service.vote("bob", "post", own["id"], 1)
    report = service.file_report("dan", "post", others["id"], "Off topic")
    export = service.export_user("dan")
    assert [p["id"] for p in export["posts"]] == [own["id"]]
    assert [r["revision"] for r in export["posts"][0]["revisions"]] == [1]
    assert [c["id"] for c in export["comments"]] == [comment["id"]]
    assert export["votes"] == [{"target_type": "post", "target_id": others["id"], "value": 1}]
    assert [h["id"] for h in export["held_edits"]] == [held["change_id"]]
    assert [r["id"] for r in export["reports"]] == [report["id"]]

    with db.transaction() as tx:  # the relay sent every event so far
        tx.session.execute(update(OUTBOX).values(published_at=utcnow()))
    service.handle_user_erased({"event_id": "e-1", "user": {"id": "dan"}})
    assert rows_naming(db, "dan") == []
    assert service.get_post(own["id"])["author_id"] is None
    assert service.get_post(others["id"])["up"] == 0  # the vote went with them
    (thread,) = service.list_comments(others["id"])["items"]
    assert thread["author_id"] is None and thread["children"][0]["author_id"] == "bob"
    assert service.list_pending("bob", others["id"]) == []
    with db.transaction() as tx:
        assert tx.session.scalar(select(Post.up_count).where(Post.id == own["id"])) == 1
