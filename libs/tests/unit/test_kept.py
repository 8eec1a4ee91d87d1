"""Kept answers are encoded once while kept, and an RPC's reply puts that text in as it is."""

import json

from svclib import jsontext
from svclib import kept as kept_answers
from svclib.kept import Kept
from svclib.rpc.answers import Parts, encoded_answer


class CountingEncoder:
    def __init__(self):
        self.calls = 0

    def __call__(self, value):
        self.calls += 1
        return jsontext.dumps(value)


def listening(max_entries=10):
    pages = Kept(max_entries, 60.0)
    pages.listening = True
    return pages


def page(n):
    return {"items": [{"id": f"p{n}", "score": 0.1 * n, "title": "é \u2028"}], "next_cursor": None}


def test_a_kept_answer_is_encoded_once_while_it_is_kept():
    pages, encode = listening(), CountingEncoder()
    answer = pages.get_or_build("front", lambda: page(1))
    assert kept_answers.encoded(answer, encode) == jsontext.dumps(page(1))
    assert kept_answers.encoded(pages.get_or_build("front", lambda: page(2)), encode) == jsontext.dumps(page(1))
    assert encode.calls == 1
    pages.forget()
    assert kept_answers.encoded(answer, encode) is None  # no longer kept: encoded as any other value
    fresh = pages.get_or_build("front", lambda: page(3))
    assert kept_answers.encoded(fresh, encode) == jsontext.dumps(page(3))
    assert encode.calls == 2


def test_only_the_kept_object_itself_has_a_kept_encoding():
    pages, encode = listening(max_entries=1), CountingEncoder()
    first = pages.get_or_build("a", lambda: page(1))
    assert kept_answers.encoded(page(1), encode) is None  # equal, but not the kept answer
    pages.get_or_build("b", lambda: page(2))  # pushes "a" out
    assert kept_answers.encoded(first, encode) is None
    assert encode.calls == 0
    not_listening = Kept(10, 60.0)
    assert kept_answers.encoded(not_listening.get_or_build("a", lambda: page(1)), encode) is None


def test_a_reply_holds_the_same_text_whether_its_answer_is_kept_or_not():
    pages = listening()
    answer = pages.get_or_build("front", lambda: page(4))
    kept_answers.encoded(answer, jsontext.dumps)
    expected = '{"result": ' + jsontext.dumps(page(4)) + ', "error": null}'
    assert encoded_answer(answer, None) == expected
    assert encoded_answer(page(4), None) == expected
    assert json.loads(expected) == {"result": page(4), "error": None}
    assert encoded_answer(None, None) == '{"result": null, "error": null}'


def test_a_reply_of_parts_puts_a_kept_part_s_text_in_as_it_is():
    """A post beside its discussion's kept page: the page's text is made once while it is kept, the post's for
    every reply, the parts in their order, each part's text as ``svclib.jsontext`` writes it."""
    pages, encode = listening(), CountingEncoder()
    answer = pages.get_or_build("comments", lambda: page(5))
    kept_answers.encoded(answer, encode)
    for viewer in ("ann", "bob"):
        post = {"id": "p1", "my_vote": 1, "viewer": viewer, "title": "é \u2028"}
        parts = f'"post": {jsontext.dumps(post)}, "comments": {jsontext.dumps(page(5))}'
        expected = '{"result": {' + parts + '}, "error": null}'
        assert json.loads(expected) == {"result": {"post": post, "comments": page(5)}, "error": None}
        assert encoded_answer(Parts(post=post, comments=answer), None) == expected
        assert encoded_answer(Parts(post=post, comments=page(5)), None) == expected  # not kept: encoded anew
    assert encode.calls == 1
    assert encoded_answer(Parts(), None) == '{"result": {}, "error": null}'


def test_answers_are_counted_by_their_kind():
    """Hits, shared reads and misses by the key's first part when it is a name, the rest as "other"."""
    pages = listening()
    for key in (("front", "week"), ("front", "week"), ("front", "day"), ("home", "r1"), "bare", (1, 2), ()):
        pages.get_or_build(key, lambda: {"page": 1})
    assert pages.stats()["kinds"] == {
        "front": {"hits": 1, "shared": 0, "misses": 2},
        "home": {"hits": 0, "shared": 0, "misses": 1},
        "other": {"hits": 0, "shared": 0, "misses": 3},
    }
    assert sum(kind["misses"] for kind in pages.stats()["kinds"].values()) == pages.stats()["misses"]


def test_kinds_past_the_most_counted_apart_are_counted_as_other():
    pages = listening(max_entries=200)
    for n in range(kept_answers.store.MAX_KINDS + 10):
        pages.get_or_build((f"kind{n}",), lambda: {"page": 1})
    kinds = pages.stats()["kinds"]
    assert len(kinds) == kept_answers.store.MAX_KINDS + 1
    assert kinds["other"]["misses"] == 10


def test_an_answer_says_when_the_read_that_made_it_began():
    """A kept answer holds every change committed before its read began: that moment is told with it, the same for
    every reader while it is kept, and a read made anew (after a change dropped it) tells its own."""
    import time

    pages = listening()
    before = time.monotonic()
    value, tags, began = pages.get_or_build_dated("front", lambda: (page(1), {"front"}))
    assert value == page(1) and tags == frozenset({"front"}) and before <= began <= time.monotonic()
    time.sleep(0.02)
    again = pages.get_or_build_dated("front", lambda: (page(2), {"front"}))
    assert again == (page(1), frozenset({"front"}), began)  # kept: the first read's moment
    pages.forget(frozenset({"front"}))
    changed = time.monotonic()
    value, _, read_anew = pages.get_or_build_dated("front", lambda: (page(3), {"front"}))
    assert value == page(3) and read_anew >= changed > began
    unkept = Kept(0, 60.0)  # kept nowhere: each read begins as it is asked
    asked = time.monotonic()
    assert unkept.get_or_build_dated("front", lambda: (page(4), None))[2] >= asked
