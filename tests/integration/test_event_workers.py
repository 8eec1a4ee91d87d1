"""A burst of slow events never takes every worker: the service's RPCs are answered meanwhile."""

import eventlet
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy

from svclib.events import event_handler
from svclib.rpc import rpc
from svclib.testing import wait_until

MAX_WORKERS = 4
EVENT_WORKERS = 2


class Slow:
    """Event handlers that wait until released, as handlers waiting on one row's lock do."""

    name = "slow"
    release = eventlet.event.Event()
    running = 0
    most = 0

    @event_handler("source", "thing_happened")
    def handle(self, payload):
        Slow.running += 1
        Slow.most = max(Slow.most, Slow.running)
        try:
            Slow.release.wait()
        finally:
            Slow.running -= 1

    @rpc
    def ping(self):
        return "pong"


def test_events_wait_for_a_slot_and_rpcs_are_answered_meanwhile(container_factory, rabbit_config):
    Slow.release, Slow.running, Slow.most = eventlet.event.Event(), 0, 0
    config = {**rabbit_config, "max_workers": MAX_WORKERS, "EVENT_WORKERS": EVENT_WORKERS}
    container_factory(Slow, config).start()
    dispatch = event_dispatcher(rabbit_config)
    for n in range(10):
        dispatch("source", "thing_happened", {"event_id": f"e{n}", "occurred_at": "2026-12-02T00:00:00Z"})
    wait_until(lambda: Slow.running == EVENT_WORKERS, timeout=10)
    try:
        with ServiceRpcProxy("slow", rabbit_config, timeout=5) as slow:
            assert slow.ping() == "pong"  # a worker was free: without the limit all four would be waiting
        assert Slow.most == EVENT_WORKERS
    finally:
        Slow.release.send()
    wait_until(lambda: Slow.running == 0, timeout=10)
    assert Slow.most == EVENT_WORKERS


class Lanes:
    """Slow handlers on the default lane, and a handler of a lane of its own."""

    name = "lanes"
    release = eventlet.event.Event()
    running = 0
    seen: list[str] = []

    @event_handler("source", "thing_happened")
    def slow(self, payload):
        Lanes.running += 1
        try:
            Lanes.release.wait()
        finally:
            Lanes.running -= 1

    @event_handler("source", "thing_shown", lane="seen")
    def shown(self, payload):
        Lanes.seen.append(payload["event_id"])


def test_an_event_of_another_lane_is_handled_while_the_default_lanes_slots_are_all_busy(
    container_factory, rabbit_config
):
    Lanes.release, Lanes.running, Lanes.seen = eventlet.event.Event(), 0, []
    config = {**rabbit_config, "max_workers": 8, "EVENT_WORKERS": EVENT_WORKERS, "EVENT_WORKERS_SEEN": 1}
    container_factory(Lanes, config).start()
    dispatch = event_dispatcher(rabbit_config)
    for n in range(6):
        dispatch("source", "thing_happened", {"event_id": f"slow{n}", "occurred_at": "2026-12-02T00:00:00Z"})
    wait_until(lambda: Lanes.running == EVENT_WORKERS, timeout=10)
    try:
        for n in range(3):
            dispatch("source", "thing_shown", {"event_id": f"shown{n}", "occurred_at": "2026-12-02T00:00:00Z"})
        # Every slot of the default lane is held (four more events wait for one): the other lane's go on.
        assert wait_until(lambda: len(Lanes.seen) == 3, timeout=10)
        assert Lanes.running == EVENT_WORKERS
    finally:
        Lanes.release.send()
    wait_until(lambda: Lanes.running == 0, timeout=10)
