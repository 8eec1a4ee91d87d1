"""The topology job declares again after a passing broker fault instead of failing the whole start."""

import pytest
from amqp.exceptions import InternalError

from svclib import topology


def test_a_declaration_the_broker_could_not_finish_is_made_again(monkeypatch):
    calls = []

    def declare(modules, amqp_uri):
        calls.append(modules)
        if len(calls) < 3:
            raise InternalError("timed out declaring queue", (50, 10), "Queue.declare")
        return ["evt-a", "evt-b"]

    monkeypatch.setattr(topology, "declare", declare)
    monkeypatch.setattr("svclib.startup.time.sleep", lambda seconds: None)
    assert topology.main(["some.service", "--amqp-uri", "memory://"]) == 0
    assert len(calls) == 3


def test_a_mistake_is_not_retried(monkeypatch):
    calls = []

    def declare(modules, amqp_uri):
        calls.append(modules)
        raise ImportError("no module named some.service")

    monkeypatch.setattr(topology, "declare", declare)
    monkeypatch.setattr("svclib.startup.time.sleep", lambda seconds: None)
    with pytest.raises(ImportError):
        topology.main(["some.service", "--amqp-uri", "memory://"])
    assert len(calls) == 1
