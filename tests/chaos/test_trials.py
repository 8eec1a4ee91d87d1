"""Fault trials on the suite's own stack, each bounded in time, each ending with exact counts read
from the databases: no acknowledged write lost, none doubled, every event applied once by every
consumer (the feed's and identity's copies equal to content's), no deadlock, nothing parked.

The trials run in this order on one stack (the last parks events on purpose)."""

from __future__ import annotations

import collections
import os
import random
import signal
import threading
import time
import uuid

import kombu
import requests

from devstack.client import PASSWORD, Api
from tests.chaos.helpers import parked, service_processes, wait_until

WRITERS = 6


class CommentLoad:
    """Members commenting through the gateway from WRITERS threads.

    Each comment carries an Idempotency-Key and is sent again with it after a 503 or a lost
    connection until it is acknowledged, as a client should: an acknowledged comment must exist
    exactly once, whatever happened meanwhile."""

    def __init__(self, base: str, world: dict):
        self.base, self.world = base, world
        self.acked: list[str] = []
        self.statuses: collections.Counter = collections.Counter()
        self.unacknowledged: list[str] = []
        self.failing_since: float | None = None
        self.longest_outage = 0.0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._write, args=(n,), daemon=True) for n in range(WRITERS)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(120)

    def _note(self, status) -> None:
        with self._lock:
            self.statuses[status] += 1
            now = time.monotonic()
            if status in (200, 201):
                if self.failing_since is not None:
                    self.longest_outage = max(self.longest_outage, now - self.failing_since)
                self.failing_since = None
            elif self.failing_since is None:
                self.failing_since = now

    def _write(self, n: int) -> None:
        api = Api(self.base)
        members, posts = self.world["members"], self.world["posts"]
        rng = random.Random(n)
        while not self._stop.is_set():
            _, token = members[rng.randrange(len(members))]
            post_id = posts[rng.randrange(len(posts))]
            key = uuid.uuid4().hex
            body = f"chaos-{key}"
            give_up = None
            while True:
                try:
                    response = api.post(
                        f"/api/v1/posts/{post_id}/comments",
                        token=token,
                        json={"body": body},
                        headers={"Idempotency-Key": key},
                        timeout=15,
                    )
                    status = response.status_code
                except requests.RequestException:
                    status = "connection"
                self._note(status)
                if status in (200, 201):  # made, or made before and answered again for its key
                    with self._lock:
                        self.acked.append(body)
                    break
                if status not in (503, 502, 504, "connection"):
                    with self._lock:
                        self.unacknowledged.append(body)
                    break
                if self._stop.is_set():
                    give_up = give_up or time.monotonic() + 90
                    if time.monotonic() > give_up:
                        with self._lock:
                            self.unacknowledged.append(body)
                        break
                time.sleep(0.2)
            time.sleep(0.05)


def comment_counts(databases, world: dict, acked: list[str]) -> dict:
    """Lost and doubled acknowledged comments, from content's database."""
    rows = databases.query("content", "SELECT body, count(*) FROM comments WHERE body LIKE 'chaos-%' GROUP BY body")
    stored = dict(rows)
    return {
        "acknowledged": len(acked),
        "lost": sum(1 for body in acked if body not in stored),
        "doubled": sum(count - 1 for count in stored.values() if count > 1),
    }


def feed_agrees_on_comments(databases, world: dict) -> bool:
    posts = world["posts"]
    content = databases.query(
        "content", "SELECT id, post_id FROM comments WHERE post_id = ANY(%s) AND deleted_at IS NULL", posts
    )
    feed = databases.query("feed", "SELECT id, post_id FROM feed_comments WHERE post_id = ANY(%s)", posts)
    if set(content) != set(feed):
        return False
    content_counts = dict(databases.query("content", "SELECT id, comment_count FROM posts WHERE id = ANY(%s)", posts))
    feed_counts = dict(databases.query("feed", "SELECT id, comment_count FROM feed_posts WHERE id = ANY(%s)", posts))
    return content_counts == feed_counts


def event_counts(databases, world: dict) -> dict:
    """Comments content holds that the feed lacks (lost events), and the feed's counts above content's
    (an event applied twice)."""
    posts = world["posts"]
    content = set(databases.query("content", "SELECT id FROM comments WHERE post_id = ANY(%s)", posts))
    feed = set(databases.query("feed", "SELECT id FROM feed_comments WHERE post_id = ANY(%s)", posts))
    content_counts = dict(databases.query("content", "SELECT id, comment_count FROM posts WHERE id = ANY(%s)", posts))
    feed_counts = dict(databases.query("feed", "SELECT id, comment_count FROM feed_posts WHERE id = ANY(%s)", posts))
    doubled = sum(max(0, feed_counts.get(post, 0) - content_counts.get(post, 0)) for post in posts)
    return {"events_lost": len(content - feed), "events_doubled": doubled}


def where_events_wait(databases, broker_node) -> dict:
    """When the feed has not caught up: content's events still in its outbox (not yet published, and how old the
    newest published is), and the messages and consumers of the feed's queues for content's events, from the
    broker, so that a failed trial says which side stopped."""
    unpublished, last_published = databases.query(
        "content",
        "SELECT count(*) FILTER (WHERE published_at IS NULL), max(published_at)::text FROM outbox",
    )[0]
    listed = broker_node.ctl("list_queues", "-p", "/", "name", "messages", "consumers", "--no-table-headers")
    queues = {}
    for line in listed.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("evt-content-") and "--feed." in parts[0]:
            queues[parts[0]] = {"messages": parts[1], "consumers": parts[2]}
    return {
        "content_outbox_unpublished": unpublished,
        "content_outbox_last_published": last_published,
        "feed_queues_of_content_events": queues or listed.stderr.strip()[:500],
    }


def finish(name, figures, databases, broker_node, stack, world, load, deadlocks_before, fault_ended, extra=None):
    """Wait for the feed to agree with content, then record and check the trial's figures."""
    converged = wait_until(lambda: feed_agrees_on_comments(databases, world))
    caught_up = None if converged is None else round(time.monotonic() - fault_ended, 2)
    result = {
        **comment_counts(databases, world, load.acked),
        **event_counts(databases, world),
        "statuses": {str(k): v for k, v in sorted(load.statuses.items(), key=str)},
        "never_acknowledged": len(load.unacknowledged),
        "longest_write_outage_s": round(load.longest_outage, 2),
        "feed_caught_up_s_after_fault": caught_up,
        "deadlocks": databases.deadlocks() - deadlocks_before,
        "parked": parked(broker_node, stack),
        **(extra or {}),
    }
    if converged is None:
        result["where_events_wait"] = where_events_wait(databases, broker_node)
    figures[name] = result
    assert result["lost"] == 0, result
    assert result["doubled"] == 0, result
    assert converged is not None, f"the feed did not catch up with content: {result}"
    assert result["events_lost"] == 0 and result["events_doubled"] == 0, result
    assert result["deadlocks"] == 0, result
    assert result["parked"] == {}, result
    assert not any(str(status).startswith("5") and status != 503 for status in load.statuses), result
    assert result["acknowledged"] > 0, result
    return result


def test_sigkill_of_a_consumer_and_a_producer_under_load(stack, world, databases, broker_node, figures):
    before = databases.deadlocks()
    with CommentLoad(stack.gateway_url, world) as load:
        time.sleep(4)
        stack.kill("feed")  # a consumer, with events in hand
        stack.kill("content")  # the producer: its relay and its RPC workers mid-write
        killed = time.monotonic()
        time.sleep(2)
        stack.start_service("content")
        stack.start_service("feed")
        stack.wait_service("content", timeout=120)
        restarted = time.monotonic()
        acked_before = len(load.acked)
        wait_until(lambda: len(load.acked) > acked_before + 5, timeout=60, interval=0.2)
        writes_back = time.monotonic()
        time.sleep(3)
    finish(
        "sigkill_consumer_and_producer",
        figures,
        databases,
        broker_node,
        stack,
        world,
        load,
        before,
        killed,
        {"writes_recovered_s_after_restart": round(writes_back - restarted, 2)},
    )


def test_broker_stopped_and_started_under_load(stack, world, databases, broker_node, figures):
    before = databases.deadlocks()
    with CommentLoad(stack.gateway_url, world) as load:
        time.sleep(3)
        broker_node.stop()
        stopped = time.monotonic()
        time.sleep(10)
        broker_node.start()
        boot = broker_node.wait()
        started = time.monotonic()
        acked_before = len(load.acked)
        back = wait_until(lambda: len(load.acked) > acked_before + 5, timeout=120, interval=0.2)
        time.sleep(3)
    finish(
        "broker_stop_start",
        figures,
        databases,
        broker_node,
        stack,
        world,
        load,
        before,
        started,
        {
            "broker_down_s": round(started - stopped, 2),
            "broker_boot_s": round(boot, 2),
            "writes_recovered_s_after_broker_start": back,
        },
    )


def test_database_connections_terminated_under_load(stack, world, databases, broker_node, figures):
    before = databases.deadlocks()
    terminated = 0
    with CommentLoad(stack.gateway_url, world) as load:
        time.sleep(3)
        for _ in range(3):
            terminated += databases.terminate()
            time.sleep(1.5)
        ended = time.monotonic()
        time.sleep(3)
    finish(
        "database_connections_terminated",
        figures,
        databases,
        broker_node,
        stack,
        world,
        load,
        before,
        ended,
        {"connections_terminated": terminated},
    )


def _signal_service(stack, service: str, sig: int) -> None:
    for key in service_processes(stack, service):
        os.killpg(stack.processes[key].pid, sig)


def _frozen(stack, service: str, writes: list, seconds: float = 8) -> float:
    """Freeze every process of ``service`` (SIGSTOP), send ``writes`` at once (each answers or times
    out), keep it frozen ``seconds`` in all, then resume it; returns how long it was frozen."""
    _signal_service(stack, service, signal.SIGSTOP)
    frozen = time.monotonic()
    try:
        threads = [threading.Thread(target=write) for write in writes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        time.sleep(max(0.0, seconds - (time.monotonic() - frozen)))
    finally:
        _signal_service(stack, service, signal.SIGCONT)
    took = time.monotonic() - frozen
    # Give the resumed service the time to run whatever it had been handed, then count.
    wait_until(lambda: stack.service_healthy(service), timeout=60)
    time.sleep(5)
    return took


def test_frozen_services_never_apply_expired_writes(stack, world, databases, broker_node, figures):
    """Content frozen while comments are sent, then identity while follows are: every write is answered
    503 after its deadline, and none is applied when the service resumes with them in hand."""
    api = Api(stack.gateway_url)
    members, authors = world["members"], world["authors"]
    answers: list = []

    def send(method, path, token, **kwargs):
        def write():
            try:
                answers.append(api.request(method, path, token=token, timeout=30, **kwargs).status_code)
            except requests.RequestException:
                answers.append("connection")

        return write

    bodies = [f"frozen-{uuid.uuid4().hex}" for _ in range(8)]
    comment_writes = [
        send("POST", f"/api/v1/posts/{world['posts'][0]}/comments", members[n][1], json={"body": body})
        for n, body in enumerate(bodies)
    ]
    content_frozen = _frozen(stack, "content", comment_writes)
    applied_comments = databases.scalar("content", "SELECT count(*) FROM comments WHERE body = ANY(%s)", bodies)

    followers = [members[n] for n in range(8, 16)]
    followees = [authors[n % len(authors)][0] for n in range(8)]
    pairs = [(follower["id"], followee["id"]) for (follower, _), followee in zip(followers, followees, strict=True)]

    def follows() -> int:
        rows = databases.query(
            "identity",
            "SELECT follower_id, followee_id FROM follows WHERE follower_id = ANY(%s)",
            [p[0] for p in pairs],
        )
        return len(set(rows) & set(pairs))

    follows_before = follows()
    follow_writes = [
        send("PUT", f"/api/v1/users/{followee['username']}/follow", token)
        for (_, token), followee in zip(followers, followees, strict=True)
    ]
    identity_frozen = _frozen(stack, "identity", follow_writes)
    applied_follows = follows() - follows_before

    result = {
        "content_frozen_s": round(content_frozen, 2),
        "identity_frozen_s": round(identity_frozen, 2),
        "writes_sent": len(comment_writes) + len(follow_writes),
        "answers": dict(collections.Counter(str(a) for a in answers)),
        "expired_writes_applied": applied_comments + applied_follows,
        "parked": parked(broker_node, stack),
    }
    figures["frozen_services"] = result
    assert all(answer == 503 for answer in answers), result
    assert result["expired_writes_applied"] == 0, result
    assert result["parked"] == {}, result


def _flip_sequences(rng: random.Random, pairs: int, flips: int) -> list[list[int | None]]:
    sequences = []
    for _ in range(pairs):
        values, last = [], None
        for _ in range(flips):
            value = rng.choice([v for v in (1, -1, None) if v != last])
            values.append(value)
            last = value
        sequences.append(values)
    return sequences


def test_quick_vote_flips_on_two_replicas_end_equal_to_content(stack, world, databases, broker_node, figures):
    """200 member-post pairs, five quick changes of vote each, from 8 threads, while two replicas of
    identity and of the feed consume; half way, one replica of each is killed and every database
    connection of both is terminated, so events in hand are delivered again and retried."""
    for service in ("identity", "feed"):
        assert len(service_processes(stack, service)) == 2
    before = databases.deadlocks()
    rng = random.Random(200)
    members, posts = world["members"], world["posts"]
    pairs = [(members[m], posts[p]) for m in range(len(members)) for p in range(len(posts))][:200]
    sequences = _flip_sequences(rng, len(pairs), 5)
    done = collections.Counter()
    failures: list = []
    lock = threading.Lock()
    halfway = threading.Event()
    logins: list[float] = []
    stop_logins = threading.Event()

    def flip(chunk):
        api = Api(stack.gateway_url)
        for (member, post_id), values in chunk:
            _, token = member
            for value in values:
                for _ in range(100):
                    if value is None:
                        response = api.delete(f"/api/v1/posts/{post_id}/vote", token=token)
                    else:
                        response = api.put(f"/api/v1/posts/{post_id}/vote", token=token, json={"value": value})
                    if response.status_code != 503:
                        break
                    time.sleep(0.2)
                with lock:
                    done[response.status_code] += 1
                    if response.status_code != 200:
                        failures.append(response.text[:200])
                    if sum(done.values()) >= 500:
                        halfway.set()

    def login_loop():
        api = Api(stack.gateway_url)
        username = world["owner"][0]["username"]
        while not stop_logins.is_set():
            started = time.monotonic()
            response = api.post("/api/v1/auth/login", json={"login": username, "password": PASSWORD})
            if response.status_code == 200:
                logins.append(time.monotonic() - started)
            time.sleep(0.5)  # a person signing in now and then, not a load of its own (hashing is costly)

    work = list(zip(pairs, sequences, strict=True))
    threads = [threading.Thread(target=flip, args=(work[n::8],)) for n in range(8)]
    login_thread = threading.Thread(target=login_loop)
    started = time.monotonic()
    login_thread.start()
    for thread in threads:
        thread.start()
    halfway.wait(120)
    stack.kill("feed#2")
    stack.kill("identity#2")
    terminated = databases.terminate("feed", "identity")
    for service in ("feed", "identity"):
        stack.start_service(service, replica=2)
    for thread in threads:
        thread.join(300)
    stop_logins.set()
    login_thread.join(30)
    writes_done = time.monotonic()

    expected_feed = set(
        databases.query(
            "content",
            "SELECT target_id, voter_id, value FROM votes WHERE target_type = 'post' AND target_id = ANY(%s)",
            posts,
        )
    )
    authors = dict(databases.query("content", "SELECT id, author_id FROM posts WHERE id = ANY(%s)", posts))
    expected_identity = {
        (post_id, voter_id) for post_id, voter_id, value in expected_feed if value == 1 and voter_id != authors[post_id]
    }

    def feed_votes():
        return set(
            databases.query("feed", "SELECT post_id, voter_id, value FROM feed_votes WHERE post_id = ANY(%s)", posts)
        )

    def identity_votes():
        return set(
            databases.query(
                "identity",
                "SELECT target_id, voter_id FROM received_votes WHERE target_type = 'post' AND target_id = ANY(%s)",
                posts,
            )
        )

    def counts(service, table):
        return dict(
            databases.query(service, f"SELECT id, up_count || ':' || down_count FROM {table} WHERE id = ANY(%s)", posts)
        )

    def equal():
        return (
            feed_votes() == expected_feed
            and identity_votes() == expected_identity
            and counts("feed", "feed_posts") == counts("content", "posts")
        )

    converged = wait_until(equal)
    login_ms = sorted(1000 * t for t in logins)
    p99 = login_ms[min(len(login_ms) - 1, int(len(login_ms) * 0.99))] if login_ms else None
    result = {
        "pairs": len(pairs),
        "flips": sum(len(v) for v in sequences),
        "answers": {str(k): v for k, v in done.items()},
        "flips_s": round(writes_done - started, 2),
        "connections_terminated_half_way": terminated,
        "converged_s_after_last_flip": converged,
        "feed_wrong": len(feed_votes() ^ expected_feed),
        "identity_wrong": len(identity_votes() ^ expected_identity),
        "deadlocks": databases.deadlocks() - before,
        "parked": parked(broker_node, stack),
        "logins_during_flips": len(login_ms),
        "login_p50_ms": round(login_ms[len(login_ms) // 2], 1) if login_ms else None,
        "login_p99_ms": round(p99, 1) if p99 is not None else None,
    }
    figures["vote_flips_two_replicas"] = result
    print(f"login p99 under vote flips: {result['login_p99_ms']} ms over {len(login_ms)} logins")
    assert done[200] == result["flips"], (result, failures[:5])
    assert converged is not None, result
    assert result["deadlocks"] == 0, result
    assert result["parked"] == {}, result


def test_poison_events_are_dead_lettered_quickly(stack, world, broker_node, figures):
    """An event that can never apply (a vote without its vote) and a body that is not JSON at all,
    published as content publishes: parked by every consumer at once, not retried for an hour."""
    consumers = ["evt-content-vote_cast--feed.handle_vote_cast", "evt-content-vote_cast--identity.handle_vote_cast"]
    assert parked(broker_node, stack) == {}
    with kombu.Connection(broker_node.uri, transport_options={"confirm_publish": True}) as connection:
        producer = kombu.Producer(connection, exchange=kombu.Exchange("content.events", type="topic", durable=True))
        producer.publish({"event_id": uuid.uuid4().hex}, routing_key="vote_cast", serializer="json", delivery_mode=2)
        producer.publish(b"{not json", routing_key="vote_cast", content_type="application/json", delivery_mode=2)
    expected = {f"{queue}.dead": 2 for queue in consumers}
    took = wait_until(lambda: parked(broker_node, stack) == expected, timeout=60, interval=0.25)
    figures["poison_events"] = {"published": 2, "consumers": len(consumers), "parked_within_s": took}
    assert took is not None, parked(broker_node, stack)
