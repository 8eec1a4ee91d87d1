"""Crashes and outages on a stack of its own: nothing written is lost, nothing hangs."""

import os
import signal
import time

import pytest

from devstack.client import Api


@pytest.fixture(scope="module")
def own_stack(stack_factory):
    return stack_factory()


@pytest.fixture
def api(own_stack):
    return Api(own_stack.gateway_url)


def communities_knows(api, token):
    export = api.get("/api/v1/me/export", token=token)
    return export.status_code == 200 and export.json()["communities"]["account"] is not None


def test_event_committed_but_not_published_is_sent_after_restart(own_stack, api, wait_until):
    # identity commits registrations but its relay is held back: the process then dies
    # with user_registered committed in its outbox and never published.
    own_stack.stop("identity")
    own_stack.start_service("identity", OUTBOX_PUBLISH="false")
    own_stack.wait_service("identity")
    user, token = api.register("crash")
    time.sleep(1.5)
    assert not communities_knows(api, token)
    own_stack.kill("identity")

    own_stack.start_service("identity")
    own_stack.wait_service("identity")
    assert wait_until(lambda: communities_knows(api, token))
    assert api.get("/api/v1/me/export", token=token).json()["feed"]["account"]["id"] == user["id"]


def test_stopped_service_answers_503_quickly_then_recovers(own_stack, api, wait_until):
    user, _ = api.register("outage")
    own_stack.stop("identity")
    try:
        started = time.monotonic()
        response = api.get(f"/api/v1/users/{user['username']}")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "unavailable"
        assert elapsed < 6.0, f"503 took {elapsed:.1f}s; the RPC deadline is 5 s"
        assert api.get("/healthz").status_code == 200  # no worker is stuck
        assert api.get("/readyz").json()["checks"]["identity"] == "unavailable"
    finally:
        own_stack.start_service("identity")
        own_stack.wait_service("identity")
    assert wait_until(lambda: api.get(f"/api/v1/users/{user['username']}").status_code == 200)


def test_event_sent_while_its_consumer_is_down_waits_for_it(own_stack, api, wait_until):
    own_stack.stop("feed")
    try:
        user, token = api.register("waiting")
    finally:
        own_stack.start_service("feed")
        own_stack.wait_service("feed")
    assert wait_until(lambda: api.get("/api/v1/me/export", token=token).json()["feed"]["account"])


def test_a_crashed_service_is_started_again_and_the_rest_keep_serving(own_stack, api, wait_until):
    # A crash the stack did not cause: SIGKILL from outside, as the kernel's OOM killer would.
    user, token = api.register("supervised")
    crashed = own_stack.processes["content"]
    os.killpg(crashed.pid, signal.SIGKILL)
    crashed.wait()
    assert own_stack.supervise() == []  # not at once: after the first back-off
    # Meanwhile the other services answer.
    assert api.get(f"/api/v1/users/{user['username']}").status_code == 200
    assert wait_until(lambda: own_stack.supervise() == ["content"], timeout=10)
    assert own_stack.processes["content"].pid != crashed.pid
    own_stack.wait_service("content")
    assert api.get("/api/v1/me/export", token=token).json()["content"]["account"]["id"] == user["id"]
