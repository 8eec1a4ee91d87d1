"""Which handler failures are retried for long, parked at once, or retried a few times."""

import psycopg
import pytest
from amqp.exceptions import InternalError, PreconditionFailed
from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from sqlalchemy.exc import IntegrityError, OperationalError

from svclib.events import (
    PERMANENT,
    TRANSIENT,
    UNKNOWN,
    MalformedEvent,
    NotYet,
    ParkingQueueConsumer,
    ReliableEventHandler,
    classify,
)
from svclib.exceptions import Invalid


def dbapi(error_class, message):
    return OperationalError("UPDATE x", {}, error_class(message))


@pytest.mark.parametrize(
    "exc",
    [
        dbapi(psycopg.errors.DeadlockDetected, "deadlock detected"),
        dbapi(psycopg.errors.SerializationFailure, "could not serialize access"),
        dbapi(psycopg.errors.TooManyConnections, "sorry, too many clients already"),
        dbapi(psycopg.OperationalError, "server closed the connection unexpectedly"),
        psycopg.OperationalError("connection refused"),
        ConnectionResetError(),
        RemoteError("ServiceUnavailable", "identity did not answer"),
        NotYet("post p1"),
        InternalError("timed out declaring queue 'evt-x'", (50, 10), "Queue.declare"),
    ],
)
def test_passing_faults_are_transient(exc):
    assert classify(exc) == TRANSIENT


@pytest.mark.parametrize(
    "exc", [KeyError("user"), TypeError("not subscriptable"), ValidationError("bad"), Invalid(), MalformedEvent()]
)
def test_faults_of_the_event_itself_are_permanent(exc):
    assert classify(exc) == PERMANENT


@pytest.mark.parametrize("exc", [RuntimeError("bug"), ValueError("no"), IntegrityError("INSERT", {}, Exception())])
def test_everything_else_is_unknown(exc):
    assert classify(exc) == UNKNOWN


def test_retry_delays_grow_are_capped_and_jittered():
    handler = ReliableEventHandler.__new__(ReliableEventHandler)
    handler.retry_delay_ms, handler.retry_max_delay_ms = 1000, 300_000
    assert 0.5 <= handler.retry_delay(1) <= 1.0
    assert 4.0 <= handler.retry_delay(4) <= 8.0
    assert all(150.0 <= handler.retry_delay(n) <= 300.0 for n in (10, 40, 1000))
    assert len({handler.retry_delay(3) for _ in range(20)}) > 1


class DeliveryOnALostConnection:
    """A delivery whose channel's connection the broker has dropped: acking or returning it fails on the socket."""

    def __init__(self, error: Exception):
        self.channel = type("Channel", (), {"connection": object()})()
        self.error = error

    def ack(self):
        raise self.error

    def requeue(self):
        raise self.error


LOST = [ConnectionResetError(104, "reset"), BrokenPipeError(32, "broken"), PreconditionFailed("unknown delivery tag")]


@pytest.mark.parametrize("error", LOST)
@pytest.mark.parametrize("answer", ["ack_message", "requeue_message"])
def test_answering_a_delivery_on_a_lost_connection_is_logged_not_raised(error, answer, caplog):
    """Raised, the failure ended the container (and the service); the broker delivers the message again."""
    consumer = ParkingQueueConsumer()
    getattr(consumer, answer)(DeliveryOnALostConnection(error))
    assert "lost connection" in caplog.text
