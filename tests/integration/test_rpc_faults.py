"""What a caller is told when a request meets a fault: never a crash, never an undeclared error for a race."""

import logging
import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text

from communities.service import CommunitiesService
from content.service import ContentService
from donations.service import DonationsService
from feed.service import FeedService
from gateway.rpc import RemoteServiceError, RpcClient
from identity.service import IdentityService
from svclib.db import Database, plumbing_tables
from svclib.faults import FaultLog
from svclib.rpc import rpc

metadata = MetaData()
plumbing_tables(metadata)
names = Table("names", metadata, Column("name", String(40), primary_key=True))
counts = Table("counts", metadata, Column("id", Integer, primary_key=True))


class Faulty:
    name = "faulty"
    db = Database(metadata, None)
    faults = FaultLog()

    @rpc
    def crash(self):
        return {}["a key no one set"]

    @rpc
    def count(self, number: int, label: str | None = None):
        with self.db.reading() as tx:
            return tx.session.scalar(select(counts.c.id).where(counts.c.id == number))

    @rpc
    def store_untyped(self, number):
        with self.db.transaction() as tx:
            tx.session.execute(insert(counts).values(id=number))

    @rpc
    def claim(self, name):
        with self.db.transaction() as tx:
            tx.session.execute(insert(names).values(name=name))
        return name

    @rpc
    def lose_connection(self):
        with self.db.transaction() as tx:
            tx.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    @rpc
    def nested(self, depth):
        answer: list = []
        for _ in range(depth):
            answer = [answer]
        return answer

    @rpc
    def not_json(self):
        return {"when": object()}

    @rpc
    def echo(self, value):
        return value


@pytest.fixture
def service(container_factory, rabbit_config, postgres):
    name = f"t_faults_{uuid.uuid4().hex[:10]}"
    url = postgres.create(name)
    container = container_factory(Faulty, {**rabbit_config, "DATABASE_URL": url})
    container.start()
    yield container
    container.stop()
    postgres.drop(name)


@pytest.fixture
def client(amqp_uri):
    rpc_client = RpcClient(amqp_uri, timeout=10.0)
    yield rpc_client
    rpc_client.close()


def test_the_loser_of_a_race_on_a_unique_key_is_told_conflict(service, client):
    assert client.call("faulty", "claim", "ada") == "ada"
    with pytest.raises(RemoteServiceError) as caught:
        client.call("faulty", "claim", "ada")
    assert caught.value.exc_type == "Conflict"


def test_a_database_connection_lost_mid_request_is_unavailable(service, client):
    with pytest.raises(RemoteServiceError) as caught:
        client.call("faulty", "lose_connection")
    assert caught.value.exc_type == "Unavailable"
    assert client.call("faulty", "claim", "grace") == "grace"


@pytest.mark.parametrize(("method", "args"), [("nested", (100_000,)), ("not_json", ())])
def test_an_answer_that_cannot_be_encoded_is_an_error_and_the_service_lives_on(service, client, method, args):
    with pytest.raises(RemoteServiceError) as caught:
        client.call("faulty", method, *args)
    assert caught.value.exc_type == "UnserializableValueError"
    assert client.call("faulty", "echo", 7) == 7


REQUEST_ID = "req-fault-0123456789"


def faults_logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "svclib.faults" and r.levelno >= logging.ERROR]


def test_a_fault_is_logged_by_the_service_with_the_request_id_its_caller_got(service, client, caplog):
    with caplog.at_level(logging.ERROR, logger="svclib.faults"):
        with pytest.raises(RemoteServiceError) as caught:
            client.call("faulty", "crash", _context={"request_id": REQUEST_ID})
        assert caught.value.exc_type == "KeyError"  # the gateway answers it 500 and logs the same id
        with pytest.raises(RemoteServiceError) as caught:
            client.call("faulty", "no_such_method", _context={"request_id": REQUEST_ID + "-2"})
    logged = faults_logged(caplog)
    assert any("faulty.crash" in line and REQUEST_ID in line and "KeyError" in line for line in logged), logged
    assert any(REQUEST_ID + "-2" in line and "MethodNotFound" in line for line in logged), logged


def test_a_callers_mistake_is_not_logged_as_a_fault(service, client, caplog):
    with caplog.at_level(logging.ERROR, logger="svclib.faults"):
        with pytest.raises(RemoteServiceError):
            client.call("faulty", "count", "not a number", _context={"request_id": REQUEST_ID})
    assert faults_logged(caplog) == []


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("7",), {}),  # not of the annotated type
        ((True,), {}),
        ((None,), {}),
        ((2**64,), {}),  # beyond 64 bits
        ((1,), {"label": "a\x00b"}),  # text PostgreSQL cannot store
        ((1,), {"label": "\ud800"}),
    ],
)
def test_arguments_a_service_cannot_use_are_invalid_before_any_worker_runs(service, client, args, kwargs):
    with pytest.raises(RemoteServiceError) as caught:
        client.call("faulty", "count", *args, **kwargs)
    assert caught.value.exc_type == "Invalid"
    assert client.call("faulty", "count", 1) is None


def test_a_value_the_database_cannot_hold_is_invalid_not_a_fault(service, client):
    # Past the type checks (no annotation): PostgreSQL refuses the value (a 32-bit column, a text).
    for number in (2**40, "abc"):
        with pytest.raises(RemoteServiceError) as caught:
            client.call("faulty", "store_untyped", number)
        assert caught.value.exc_type == "Invalid", number


@pytest.mark.parametrize(
    "service_class", [IdentityService, CommunitiesService, ContentService, FeedService, DonationsService]
)
def test_every_service_logs_its_faults_with_the_request_id(service_class):
    assert any(isinstance(value, FaultLog) for value in vars(service_class).values())
