"""A presented answer is made once per reply text: a kept page is neither decoded nor presented again."""

import json

import pytest

from gateway.rpc import Call, Presented, RemoteServiceError, RpcClient


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
