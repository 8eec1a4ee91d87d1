"""CommitBroadcast: what a service's commits touched, told to the processes that keep copies; with ``gather``, the
commits of a short while told in one message."""

from __future__ import annotations

import threading
import time

from svclib.broadcasts import CommitBroadcast


class Publisher:
    def __init__(self):
        self.sent: list[dict] = []

    def publish(self, message: dict, **_kwargs) -> None:
        self.sent.append(message)


class Container:
    def __init__(self):
        self.threads: list[threading.Thread] = []

    def spawn_managed_thread(self, run, identifier=None) -> None:
        thread = threading.Thread(target=run, name=identifier)
        self.threads.append(thread)
        thread.start()


def told(touched: frozenset[str] | None) -> dict | None:
    """Everything but unread counts (``n:``)."""
    if touched is None:
        return {"tags": None}
    tags = sorted(tag for tag in touched if not tag.startswith("n:"))
    return {"tags": tags} if tags else None


def broadcast(gather: float) -> tuple[CommitBroadcast, Publisher, Container]:
    sender = CommitBroadcast("db", "feed.pages", told, gather=gather)
    sender.publisher, sender.container = Publisher(), Container()
    return sender, sender.publisher, sender.container


def test_each_commit_is_told_at_once_without_gathering():
    sender, publisher, _ = broadcast(0.0)
    sender.committed(frozenset({"front", "s:1"}))
    sender.committed(frozenset({"n:u1"}))  # nothing a listener keeps
    sender.committed(None)
    assert publisher.sent == [{"tags": ["front", "s:1"]}, {"tags": None}]


def test_the_commits_of_a_while_are_told_in_one_message_of_every_tag_they_touched():
    sender, publisher, container = broadcast(0.05)
    sender.committed(frozenset({"front", "s:1"}))
    sender.committed(frozenset({"n:u1"}))
    sender.committed(frozenset({"a:2", "front"}))
    assert publisher.sent == [] and len(container.threads) == 1
    container.threads[0].join()
    assert publisher.sent == [{"tags": ["a:2", "front", "s:1"]}]
    sender.committed(frozenset({"s:3"}))
    sender.committed(None)  # anything: the next message says so, whatever else was gathered
    container.threads[1].join()
    assert publisher.sent[1:] == [{"tags": None}]
    sender.committed(frozenset({"n:u2"}))  # only unread counts: no message, nothing waits
    time.sleep(0.06)
    assert len(publisher.sent) == 2 and len(container.threads) == 2


def test_a_message_names_the_transactions_it_tells_when_every_one_is_known():
    """On PostgreSQL each commit's id comes with it (``Transaction.notify``): a listener holding an answer read with a
    snapshot that saw them all keeps it (``gateway.pagetags``). One commit whose id is not known (another database)
    leaves the message without ids: a listener then goes by when it heard it."""
    sender, publisher, container = broadcast(0.0)
    sender.committed(frozenset({"front"}), 41)
    sender.committed(frozenset({"front"}), None)
    assert publisher.sent == [{"tags": ["front"], "xacts": [41]}, {"tags": ["front"]}]
    sender, publisher, container = broadcast(0.05)
    sender.committed(frozenset({"front"}), 52)
    sender.committed(frozenset({"n:u1"}), 50)  # nothing a listener keeps: no message, no id
    sender.committed(frozenset({"s:1"}), 51)
    container.threads[0].join()
    assert publisher.sent == [{"tags": ["front", "s:1"], "xacts": [51, 52]}]
    sender.committed(frozenset({"front"}), 53)
    sender.committed(frozenset({"s:1"}), None)
    container.threads[1].join()
    assert publisher.sent[1:] == [{"tags": ["front", "s:1"]}]
