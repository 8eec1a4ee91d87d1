"""A presented answer is made once per reply text: a kept page is neither decoded nor presented again."""

import json

import pytest

from gateway.routes.comments import Answer, discussion
from gateway.rpc import Call, Presented, RemoteServiceError, RpcClient
from svclib.kept import Kept
from svclib.rpc.answers import Parts, encoded_answer


class Replies:
    """A thread's channel that answers every wait with the next reply body."""

    def __init__(self, *bodies: str):
        self.bodies = list(bodies)

    def wait(self, _correlation_id, _deadline):
        return self.bodies.pop(0)


class CountingPresenter:
    def __init__(self):
        self.calls = 0

    def __call__(self, result):
        self.calls += 1
        return json.dumps({"shown": result}).encode()


def answer(result) -> str:
    return json.dumps({"result": result, "error": None})


def results(client: RpcClient, channel: Replies, present, count: int) -> list:
    return [client.result(Call("feed", "public_feed", float("inf"), "c", channel, present)) for _ in range(count)]


def test_the_same_reply_is_presented_once():
    client, present = RpcClient("amqp://guest:guest@127.0.0.1:5672/"), CountingPresenter()
    page, other = {"items": [1, 2]}, {"items": [3]}
    channel = Replies(answer(page), answer(page), answer(other), answer(page))
    shown = results(client, channel, present, 4)
    assert shown == [b'{"shown": {"items": [1, 2]}}'] * 2 + [
        b'{"shown": {"items": [3]}}',
        b'{"shown": {"items": [1, 2]}}',
    ]
    assert present.calls == 2


def test_without_a_presenter_the_result_is_decoded_every_time():
    client = RpcClient("amqp://guest:guest@127.0.0.1:5672/")
    page = {"items": [1]}
    first, second = results(client, Replies(answer(page), answer(page)), None, 2)
    assert first == second == page and first is not second  # each caller owns what it was given


def test_an_error_is_raised_every_time_and_never_kept():
    client, present = RpcClient("amqp://guest:guest@127.0.0.1:5672/"), CountingPresenter()
    error = json.dumps({"result": None, "error": {"exc_type": "NotFound", "exc_args": ["No such subwiki."]}})
    channel = Replies(error, error)
    for _ in range(2):
        with pytest.raises(RemoteServiceError, match="No such subwiki"):
            client.result(Call("feed", "subwiki_feed", float("inf"), "c", channel, present))
    assert present.calls == 0


def test_the_least_recently_used_presentation_goes_first():
    kept = Presented(max_entries=2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)


def test_a_post_s_page_presents_its_kept_comment_page_once_whoever_reads_the_post():
    """Content's ``post_page`` answers the post as each reader sees it beside the kept comment page, written as
    ``svclib.rpc.Parts`` writes it: the page is presented once, by its own text, into one ``Answer`` (so the
    body made from it and identity's answer is kept too), while each reader's post is decoded as it came."""
    client, present = RpcClient("amqp://guest:guest@127.0.0.1:5672/"), CountingPresenter()
    kept = Kept(10, 60.0)
    kept.listening = True
    comments = kept.get_or_build(
        "comments", lambda: {"items": [{"id": "c1", "author_id": "u1", "body": 'a "quote"', "children": []}]}
    )
    other = {"items": [], "next_cursor": None}
    posts = [{"id": "p1", "my_vote": vote, "title": '"comments": ' + "é"} for vote in (0, 1, -1)]
    bodies = [encoded_answer(Parts(post=post, comments=comments), None) for post in posts]
    bodies.append(encoded_answer(Parts(post=posts[0], comments=other), None))
    channel = Replies(*bodies)
    answers = [
        client.result(Call("content", "post_page", float("inf"), "c", channel, present, "comments")) for _ in bodies
    ]
    assert [answer["post"] for answer in answers] == [*posts, posts[0]]
    assert answers[0]["comments"] is answers[1]["comments"] is answers[2]["comments"]
    assert answers[0]["comments"] == json.dumps({"shown": comments}).encode()
    assert answers[3]["comments"] == json.dumps({"shown": other}).encode()
    assert present.calls == 2
    # With the gateway's own presenter: one Answer for one page, its authors read once.
    channel = Replies(*bodies[:2])
    shown = [client.result(Call("content", "post_page", float("inf"), "c", channel, discussion, "comments"))]
    shown.append(client.result(Call("content", "post_page", float("inf"), "c", channel, discussion, "comments")))
    assert isinstance(shown[0]["comments"], Answer) and shown[0]["comments"] is shown[1]["comments"]
    assert shown[0]["comments"].authors == ["u1"] and shown[1]["post"]["my_vote"] == 1


def test_an_answer_of_parts_written_otherwise_or_an_error_is_read_whole():
    client, present = RpcClient("amqp://guest:guest@127.0.0.1:5672/"), CountingPresenter()
    page = {"items": [1]}
    reordered = answer({"comments": page, "post": {"id": "p1"}})
    error = json.dumps({"result": None, "error": {"exc_type": "NotFound", "exc_args": ["No such post."]}})
    channel = Replies(reordered, reordered, error)
    for _ in range(2):
        got = client.result(Call("content", "post_page", float("inf"), "c", channel, present, "comments"))
        assert got == {"comments": b'{"shown": {"items": [1]}}', "post": {"id": "p1"}}
    assert present.calls == 2  # not kept: its text was not read apart
    with pytest.raises(RemoteServiceError, match="No such post"):
        client.result(Call("content", "post_page", float("inf"), "c", channel, present, "comments"))
