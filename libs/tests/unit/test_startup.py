"""Start-up waits with back-off for what is not ready, and only for that."""

import pytest

from svclib.startup import with_backoff


def test_a_transient_failure_is_tried_again_until_it_passes():
    calls = []

    def connect():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError("not yet")
        return "connected"

    assert with_backoff(connect, "thing", lambda exc: True, timeout=5, first_delay=0.01) == "connected"
    assert len(calls) == 3


def test_other_failures_and_a_spent_wait_raise():
    with pytest.raises(ValueError):
        with_backoff(lambda: int("x"), "thing", lambda exc: isinstance(exc, ConnectionError), timeout=5)
    with pytest.raises(ConnectionRefusedError):
        with_backoff(_refuse, "thing", lambda exc: True, timeout=0.05, first_delay=0.02)


def _refuse():
    raise ConnectionRefusedError("never")
