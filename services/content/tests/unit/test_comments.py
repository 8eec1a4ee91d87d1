"""Threads: replies nest at most MAX_DEPTH levels, pages of top-level comments with their replies,
one open report per person and target."""

import json

import pytest
from sqlalchemy import select

from content.handlers.comments import MAX_DEPTH, comment_view
from content.handlers.discussion import REPLIES_SHOWN, ROW, row_view
from content.models import Comment
from svclib.exceptions import Invalid

from .test_posts import article


def depth_of(nodes: list[dict]) -> int:
    """How many levels a tree has, counted with a stack."""
    deepest, stack = 0, [(node, 1) for node in nodes]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in node["children"])
    return deepest


def test_replies_nest_at_most_max_depth_levels(service):
    post = article(service)
    parent = service.create_comment("cat", post["id"], "Top")
    chain = [parent]
    for n in range(MAX_DEPTH + 4):
        chain.append(service.create_comment("bob", post["id"], f"Reply {n}", parent_id=chain[-1]["id"]))
    assert chain[MAX_DEPTH]["parent_id"] == chain[MAX_DEPTH - 1]["id"]
    # Deeper replies join the deepest allowed level, beside the comment they answer.
    assert chain[MAX_DEPTH + 1]["parent_id"] == chain[MAX_DEPTH - 1]["id"]
    thread = service.comment_thread(chain[-1]["id"])["items"]
    assert depth_of(thread) == MAX_DEPTH + 1
    assert service.get_post(post["id"])["comment_count"] == len(chain)


def test_a_thread_nested_deeper_before_the_cap_is_shown_flattened(service, db):
    post = article(service)
    with db.transaction() as tx:
        parent_id = None
        for level in range(3000):
            tx.session.add(
                Comment(
                    id=f"c{level:05d}",
                    post_id=post["id"],
                    parent_id=parent_id,
                    root_id="c00000",
                    depth=level,
                    author_id="bob",
                    body="deep",
                    body_html="<p>deep</p>",
                )
            )
            parent_id = f"c{level:05d}"
    thread = service.comment_thread("c02999")["items"]
    assert depth_of(thread) == MAX_DEPTH + 1
    assert len(json.dumps(thread)) > 0
    assert depth_of(service.list_comments(post["id"])["items"]) == 1 + REPLIES_SHOWN


def test_comments_come_in_pages_of_top_level_comments_with_their_replies(service):
    post = article(service)
    tops = [service.create_comment("cat", post["id"], f"Top {n}") for n in range(5)]
    reply = service.create_comment("bob", post["id"], "Reply", parent_id=tops[0]["id"])
    service.vote("dan", "comment", tops[1]["id"], 1)
    for sort, expected in (
        ("new", [t["id"] for t in reversed(tops)]),
        ("quality", [tops[1]["id"]] + [t["id"] for t in reversed(tops) if t is not tops[1]]),
    ):
        seen, cursor = [], None
        while True:
            page = service.list_comments(post["id"], sort, 2, cursor)
            assert len(page["items"]) <= 2
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert [c["id"] for c in seen] == expected
        assert next(c for c in seen if c["id"] == tops[0]["id"])["children"][0]["id"] == reply["id"]
    with pytest.raises(Invalid):
        service.list_comments(post["id"], "new", 2, "not-a-cursor")
    with pytest.raises(Invalid):
        service.list_comments(post["id"], "loudest")


def every_node(nodes: list[dict]) -> list[dict]:
    found, stack = [], list(nodes)
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node["children"])
    return found


def test_a_page_holds_the_first_replies_of_each_thread_level_by_level_and_counts_the_rest(service):
    """A thread of 4 replies each with 2 replies: a page holds the 4, then the newest of the 8 below them up
    to REPLIES_SHOWN, each under its parent; more_replies counts the rest, which the whole thread holds."""
    post = article(service)
    top = service.create_comment("cat", post["id"], "Top")
    quiet = service.create_comment("cat", post["id"], "Nobody answers")
    answers = [service.create_comment("bob", post["id"], f"Answer {n}", parent_id=top["id"]) for n in range(4)]
    below = [
        service.create_comment(("cat", "dan")[n % 2], post["id"], f"Below {n}", parent_id=answers[n // 2]["id"])
        for n in range(8)
    ]
    hidden = REPLIES_SHOWN - len(answers)
    first = service.list_comments(post["id"], "new", 1)["items"]
    page = service.list_comments(post["id"], "quality")["items"]
    thread = next(item for item in page if item["id"] == top["id"])
    assert [c["id"] for c in thread["children"]] == [a["id"] for a in reversed(answers)]
    shown = every_node(thread["children"])
    assert {c["id"] for c in shown} == {c["id"] for c in answers} | {c["id"] for c in below[-hidden:]}
    assert all(c["parent_id"] in {top["id"], *(a["id"] for a in answers)} for c in shown)
    assert thread["more_replies"] == len(answers) + len(below) - REPLIES_SHOWN
    assert next(item for item in page if item["id"] == quiet["id"])["more_replies"] == 0
    assert first[0]["id"] == quiet["id"] and first[0]["more_replies"] == 0
    (whole,) = service.comment_thread(below[0]["id"])["items"]
    assert len(every_node(whole["children"])) == len(answers) + len(below)
    assert whole["more_replies"] == 0


def test_a_row_is_shown_as_the_comment_schema_shows_it(service, db):
    post = article(service)
    kept = service.create_comment("cat", post["id"], "Kept *here*")
    gone = service.create_comment("dan", post["id"], "Gone soon")
    service.remove_comment("dan", gone["id"])
    with db.transaction() as tx:
        for comment_id in (kept["id"], gone["id"]):
            row = tx.connection.execute(select(*ROW).where(Comment.id == comment_id)).one()
            assert row_view(row) == comment_view(tx.session.get(Comment, comment_id))


def test_one_open_report_per_person_and_target(service, db):
    post = article(service)
    first = service.file_report("dan", "post", post["id"], "Off topic")
    assert service.file_report("dan", "post", post["id"], "Really off topic") == first
    assert service.file_report("cat", "post", post["id"], "Spam") != first
    assert len(service.list_reports("ann", "rivers")["items"]) == 2
    service.resolve_report("ann", first["id"], "dismiss")
    assert service.file_report("dan", "post", post["id"], "Still off topic") != first
