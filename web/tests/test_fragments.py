"""A feed's cards and a post's discussion as ``web.fragments`` writes them: every value from the API escaped
but its sanitised HTML, lists well nested however deep the tree, the actions each reader may take, labels in
the reader's language."""

from __future__ import annotations

from html.parser import HTMLParser

import orjson
import pytest
from flask import Response, current_app
from flask_babel import force_locale

from web import fragments
from web.app import create_app

VOID = {"input", "img", "br", "meta", "link"}


@pytest.fixture(autouse=True)
def context():
    app = create_app({"GATEWAY": object(), "SECRET_KEY": "test"})
    with app.test_request_context():
        yield


class Nesting(HTMLParser):
    """The tags opened and closed, in order; fails at the first end tag that closes another than the last."""

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.text: list[str] = []
        self.attrs: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.attrs.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def parsed(html: str) -> Nesting:
    parser = Nesting()
    parser.feed(str(html))
    parser.close()
    assert parser.open == [], f"left open: {parser.open}"
    return parser


def comment(cid, *children, author="ada", **extra):
    return {
        "id": cid,
        "author": {"username": author, "display_name": author.title()} if author else None,
        "body_html": f"<p>said {cid}</p>",
        "created_at": "2026-01-01T00:00:00Z",
        "score": {"up": 2, "down": 1},
        "deleted": False,
        "blocked": False,
        "children": list(children),
        "more_replies": 0,
        **extra,
    }


POST = {"id": "p1", "can_moderate": False}
ADA = {"username": "ada"}


def test_a_discussion_escapes_every_value_but_the_apis_html():
    hostile = comment("c1", author=None)
    hostile["author"] = {"username": "bo\"b'><x", "display_name": "<script>alert(1)</script>"}
    hostile["created_at"] = '"><script>'
    html = str(fragments.discussion(POST, [hostile], 6, ADA, 'tok"en'))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="/u/bo%22b%27%3E%3Cx"' in html  # a name in an address is percent-encoded
    assert 'value="tok&quot;en"' in html
    assert "<p>said c1</p>" in html  # the API's sanitised body, as it is
    parsed(html)


def test_a_deep_discussion_is_well_nested_and_links_past_the_depth_shown():
    deep = comment("d9")
    for n in range(8, 0, -1):
        deep = comment(f"d{n}", deep)
    tree = [comment("a", comment("b", comment("c")), comment("d")), deep, comment("e")]
    html = str(fragments.discussion(POST, tree, 6, None, "t"))
    page = parsed(html)
    shown = [attrs["id"] for tag, attrs in page.attrs if tag == "li"]
    assert shown == ["c-a", "c-b", "c-c", "c-d", "c-d1", "c-d2", "c-d3", "c-d4", "c-d5", "c-d6", "c-e"]
    assert 'href="/posts/p1/thread/d6">Continue this thread &#8594;</a>' in html
    assert html.count('<ol class="comments">') == 1 + 2 + 5  # the page's list, a's and b's, d1's to d5's


def test_a_signed_in_reader_may_act_on_comments_as_their_role_allows():
    tree = [comment("mine"), comment("theirs", author="bob")]
    html = str(fragments.discussion(POST, tree, 6, ADA, "t"))
    assert 'href="/comments/mine/edit?post_id=p1"' in html and 'action="/comments/mine/delete"' in html
    assert "/comments/theirs/edit" not in html and "/comments/theirs/delete" not in html
    assert 'action="/comments/theirs/vote"' in html and 'href="/report/comment/theirs?post_id=p1"' in html
    moderated = str(fragments.discussion({**POST, "can_moderate": True}, tree, 6, ADA, "t"))
    assert 'action="/comments/theirs/delete"' in moderated and "/comments/theirs/edit" not in moderated
    anonymous = str(fragments.discussion(POST, tree, 6, None, "t"))
    assert "<form" not in anonymous and "/report/" not in anonymous
    parsed(html), parsed(moderated), parsed(anonymous)


def test_blocked_deleted_and_long_threads():
    tree = [
        comment("blocked", blocked=True),
        comment("gone", deleted=True, body_html=None),
        comment("long", comment("r1"), more_replies=7),
    ]
    html = str(fragments.discussion(POST, tree, 6, ADA, "t"))
    assert '<details class="blocked">' in html and "You blocked this person." in html
    assert "This comment was deleted." in html and 'action="/comments/gone/vote"' not in html
    assert 'href="/posts/p1/thread/long">Continue this thread (+7) &#8594;</a>' in html
    parsed(html)


def test_a_reply_that_failed_shows_its_form_in_place_of_the_link():
    html = str(fragments.discussion(POST, [comment("c1"), comment("c2")], 6, ADA, "t", "c1", lambda c: f"[form {c}]"))
    assert "[form c1]" in html and "[form c2]" not in html
    assert 'data-reply="c1"' not in html and 'data-reply="c2"' in html


def test_labels_in_the_readers_language():
    with force_locale("fr"):
        html = str(fragments.discussion(POST, [comment("c1")], 6, ADA, "t"))
        card = str(fragments.post_cards([CARD]))
    assert "Répondre" in html and ">Reply<" not in html
    assert "<dd>2,5</dd>" in card and "<dd>0,4127</dd>" in card  # the decimal comma


CARD = {
    "post": {
        "id": "p1",
        "kind": "link",
        "title": 'A "title" <b>',
        "url": "https://www.example.org/x",
        "image_url": None,
        "author": {"username": "ada lovelace", "display_name": "Ada"},
        "subwiki": {"slug": "history", "name": "History & more"},
        "created_at": "2026-01-01T00:00:00Z",
        "comment_count": 3,
        "score": {"up": 12, "down": 1},
    },
    "rank": {
        "score": 0.41267,
        "reasons": [{"factor": "up_weight", "value": 2.5}, {"factor": "substantive_commenters", "value": 3}],
    },
}


def test_a_card_says_why_the_post_is_there_with_every_value_escaped():
    erased = {**CARD, "post": {**CARD["post"], "author": None, "url": None, "id": "p2"}, "rank": None}
    html = str(fragments.post_cards([CARD, erased]))
    page = parsed(html)
    assert "A &quot;title&quot; &lt;b&gt;" in html and "History &amp; more" in html
    assert "(example.org)" in html and 'href="/u/ada%20lovelace"' in html
    text = " ".join(page.text)
    assert "approved by 12 members · 3 people discussed it" in text
    assert "<dt>weight of up-votes</dt><dd>2.5</dd>" in html and "<dd>0.4127</dd>" in html
    assert "a deleted member" in text
    assert html.count('<details class="why">') == 1  # the item without a rank says nothing of it


def test_a_card_written_once_is_taken_again_for_the_same_item_language_and_age(monkeypatch):
    """The front page and a subwiki's are the same answer for every reader between changes: their cards are
    written once, and written anew for an item that changed, another language or another age in words."""
    fragments.CARDS.pieces.clear()
    written = []
    kind_label = fragments.kind_label
    monkeypatch.setattr(fragments, "kind_label", lambda kind: written.append(kind) or kind_label(kind))
    first = str(fragments.post_cards([CARD]))
    assert str(fragments.post_cards([CARD])) == first and len(written) == 1

    voted = {**CARD, "post": {**CARD["post"], "score": {"up": 13, "down": 1}}}
    html = str(fragments.post_cards([voted, CARD]))
    assert "&#9650; 13 &#9660; 1" in html and html.endswith(first) and len(written) == 2  # only the changed card is new

    with current_app.test_request_context(), force_locale("fr"):  # another request, in French
        french = str(fragments.post_cards([CARD]))
    assert "<dd>2,5</dd>" in french and len(written) == 3

    monkeypatch.setattr(fragments, "age", lambda moment: ("days", 3))
    older = str(fragments.post_cards([CARD]))
    assert ">3 days ago</time>" in older and older != first and len(written) == 4


def test_the_cards_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(fragments, "CARDS", fragments.Written(3))
    items = [{**CARD, "post": {**CARD["post"], "id": f"p{n}"}} for n in range(5)]
    html = str(fragments.post_cards(items))
    assert [f'href="/posts/p{n}"' in html for n in range(5)] == [True] * 5
    assert [key[0] for key in fragments.CARDS.pieces] == [orjson.dumps(item) for item in items[2:]]  # the newest


def test_a_comment_s_head_is_written_once_for_every_reader_and_anew_when_it_changes(monkeypatch):
    """A post's comments are the same for every reader but the actions each may take: their heads (author, age,
    votes, body) are written once, each reader's actions every time, and a changed comment's head anew."""
    fragments.HEADS.pieces.clear()
    named = []
    person = fragments.person
    monkeypatch.setattr(fragments, "person", lambda author: named.append(author) or person(author))
    nodes = [comment("c1"), comment("c2", author="bob")]
    for_ada = str(fragments.discussion(POST, nodes, 6, ADA, "t"))
    for_bob = str(fragments.discussion(POST, nodes, 6, {"username": "bob"}, "t"))
    assert len(named) == 2  # two heads written, for the first reader only
    assert 'href="/comments/c1/edit?post_id=p1"' in for_ada and 'href="/comments/c1/edit' not in for_bob
    assert 'href="/comments/c2/edit?post_id=p1"' in for_bob and 'href="/comments/c2/edit' not in for_ada

    voted = [comment("c1", score={"up": 9, "down": 1}), comment("c2", author="bob")]
    html = str(fragments.discussion(POST, voted, 6, ADA, "t"))
    assert "&#9650; 9 &#9660; 1" in html and "&#9650; 2 &#9660; 1" in html
    assert len(named) == 3  # only the voted comment's head is new
    erased = [comment("c1"), comment("c2", author="bob", deleted=True)]
    html = str(fragments.discussion(POST, erased, 6, ADA, "t"))
    assert "This comment was deleted." in html and "<p>said c2</p>" not in html and len(named) == 4


def test_a_discussion_in_a_page_is_a_placeholder_until_the_response_is_spliced():
    """A page's template gets a short placeholder for its discussion (some 200 KB with 200 comments), and the
    response gets the discussion in its place, encoded once; each request draws its own placeholder."""
    nodes = [comment("c1"), comment("c2", author="bob")]
    mark = str(fragments.discussion_in_page(POST, nodes, 6, ADA, "t"))
    assert mark.startswith("<!--fragment ") and len(mark) < 60
    response = Response(f"<main>{mark}</main>", mimetype="text/html")
    fragments.splice(response)
    assert response.get_data(as_text=True) == f"<main>{fragments.discussion(POST, nodes, 6, ADA, 't')}</main>"
    with current_app.test_request_context():
        assert str(fragments.discussion_in_page(POST, nodes, 6, ADA, "t")) != mark
    assert str(fragments.discussion(POST, nodes, 6, ADA, "t")).startswith('<ol class="comments">')


def test_a_piece_written_again_replaces_its_own_and_drops_no_other():
    written = fragments.Written(2)
    written.put(("a",), "A")
    written.put(("b",), "B")
    written.put(("b",), "B again")
    assert written.pieces == {("a",): "A", ("b",): "B again"}
    written.put(("c",), "C")  # full: the oldest goes
    assert written.pieces == {("b",): "B again", ("c",): "C"}
