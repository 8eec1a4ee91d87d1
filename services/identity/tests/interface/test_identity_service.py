"""The identity service in a real nameko container on the real broker and PostgreSQL."""

import eventlet
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from identity.exceptions import Conflict, RateLimited, Unauthenticated
from identity.service import IdentityService
from svclib.events import ReliableEventHandler

PASSWORD = "interface tests are real"


class Listener:
    """A stand-in consumer of identity's events, on the same broker."""

    name = "listener"
    received: list = []

    @ReliableEventHandler.decorator("identity", "user_registered")
    def handle_user_registered(self, payload):
        Listener.received.append(payload)


@pytest.fixture
def config(service_config):
    return service_config("identity", LOGIN_MAX_FAILURES_PER_ACCOUNT=2)


def test_register_publishes_user_registered_through_the_outbox(runner_factory, config):
    Listener.received = []
    runner = runner_factory(config, IdentityService, Listener)
    runner.start()
    identity = next(c for c in runner.containers if c.service_name == "identity")
    listener = next(c for c in runner.containers if c.service_name == "listener")
    with entrypoint_waiter(listener, "handle_user_registered", timeout=10):
        with entrypoint_hook(identity, "register") as register:
            user = register("olga", "olga@example.com", PASSWORD, "Olga")
    (payload,) = Listener.received
    assert payload["user"]["id"] == user["id"]
    assert set(payload) == {"event_id", "occurred_at", "user"}


def test_login_rate_limit_on_postgres(container_factory, config):
    container = container_factory(IdentityService, config)
    container.start()
    with entrypoint_hook(container, "register") as register:
        register("pete", "pete@example.com", PASSWORD)
    with entrypoint_hook(container, "login") as login:
        for _ in range(2):
            with pytest.raises(Unauthenticated):
                login("pete", "wrong wrong wrong", "10.3.0.1")
        with pytest.raises(RateLimited) as caught:
            login("pete", PASSWORD, "10.3.0.1")
        assert caught.value.details["retry_after"] >= 1


def test_duplicate_username_conflicts_on_postgres(container_factory, config):
    container = container_factory(IdentityService, config)
    container.start()
    with entrypoint_hook(container, "register") as register:
        register("quinn", "quinn@example.com", PASSWORD)
        with pytest.raises(Conflict):
            register("Quinn", "quinn2@example.com", PASSWORD)


def test_follow_event_reaches_a_consumer(runner_factory, config):
    class FollowListener:
        name = "follow_listener"
        seen: list = []

        @ReliableEventHandler.decorator("identity", "user_followed")
        def handle_user_followed(self, payload):
            FollowListener.seen.append(payload["follow"])

    runner = runner_factory(config, IdentityService, FollowListener)
    runner.start()
    identity = next(c for c in runner.containers if c.service_name == "identity")
    listener = next(c for c in runner.containers if c.service_name == "follow_listener")
    with entrypoint_hook(identity, "register") as register:
        rosa = register("rosa", "rosa@example.com", PASSWORD)
        sam = register("sam_x", "sam@example.com", PASSWORD)
    with entrypoint_waiter(listener, "handle_user_followed", timeout=10):
        with entrypoint_hook(identity, "follow_user") as follow:
            follow(rosa["id"], "sam_x")
    assert FollowListener.seen == [{"follower_id": rosa["id"], "followee_id": sam["id"], "version": 1}]


def test_thirty_parallel_wrong_guesses_are_each_counted(container_factory, service_config):
    config = service_config("identity", LOGIN_MAX_FAILURES_PER_ACCOUNT=5, LOGIN_MAX_FAILURES_PER_IP=1000)
    container = container_factory(IdentityService, config)
    container.start()
    with entrypoint_hook(container, "register") as register:
        register("tess", "tess@example.com", PASSWORD)
    outcomes = []

    def guess(n):
        # Each guess its own client on the broker (entrypoint_hook mixes up answers of parallel calls).
        with ServiceRpcProxy("identity", config) as identity:
            try:
                identity.login("tess" if n % 2 else "tess@example.com", f"wrong guess {n}", "10.5.0.1")
            except RemoteError as error:
                outcomes.append(error.exc_type)

    pool = eventlet.GreenPool(30)
    for n in range(30):
        pool.spawn(guess, n)
    pool.waitall()
    assert sorted(outcomes) == ["RateLimited"] * 25 + ["Unauthenticated"] * 5
    with entrypoint_hook(container, "login") as login:
        with pytest.raises(RateLimited):
            login("tess", PASSWORD, "10.5.0.1")
        # The owner, from another address, is only slowed down.
        assert login("tess@example.com", PASSWORD, "10.5.0.2")["user"]["username"] == "tess"
