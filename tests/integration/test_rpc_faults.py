"""What a caller is told when a request meets a fault: never a crash, never an undeclared error for a race."""

import uuid

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, text

from gateway.rpc import RemoteServiceError, RpcClient
from svclib.db import Database, plumbing_tables
from svclib.rpc import rpc

metadata = MetaData()
plumbing_tables(metadata)
names = Table("names", metadata, Column("name", String(40), primary_key=True))


class Faulty:
    name = "faulty"
    db = Database(metadata, None)

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
