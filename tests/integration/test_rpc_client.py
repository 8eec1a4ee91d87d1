"""The gateway's RPC client against real nameko services on the real broker."""

import json
import socket
import time
import uuid

import amqp
import pytest
from nameko.contextdata import ContextDataProvider
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import MetaData, text

from gateway.rpc import RemoteServiceError, RpcClient, ServiceUnavailable
from svclib.db import Database, plumbing_tables
from svclib.exceptions import NotFound
from svclib.kept import Kept
from svclib.rpc import Parts, RpcQueueConsumer, rpc
from svclib.transport import Connection, connection_params


class RequestId(ContextDataProvider):
    context_key = "request_id"


class Echo:
    name = "echo"
    request_id = RequestId()
    handled: list = []

    @rpc
    def add(self, a, b=0):
        Echo.handled.append((a, b))
        return a + b

    @rpc(expected_exceptions=NotFound)
    def find(self, key):
        raise NotFound(f"no {key} here", fields={"key": ["unknown"]})

    @rpc
    def seen_request_id(self):
        return self.request_id


class Pages:
    """A page kept in the process, answered beside what each reader alone sees (as content's ``post_page``)."""

    name = "pages"
    kept = Kept(10, 60.0)
    kept.listening = True

    @rpc
    def page(self, reader):
        page = Pages.kept.get_or_build("page", lambda: {"items": [{"id": "c1", "body": 'a "quote", é'}]})
        return Parts(post={"reader": reader, "title": '"page": é'}, page=page)


metadata = MetaData()
plumbing_tables(metadata)


class Sleeper:
    name = "sleeper"
    db = Database(metadata, None)
    spans: list = []

    @rpc
    def sleep(self, seconds):
        started = time.monotonic()
        with self.db.transaction() as tx:
            tx.session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
        Sleeper.spans.append((started, time.monotonic()))


@pytest.fixture
def client(amqp_uri):
    rpc_client = RpcClient(amqp_uri, timeout=5.0)
    yield rpc_client
    rpc_client.close()


def test_calls_results_and_concurrent_calls(container_factory, rabbit_config, client):
    container_factory(Echo, rabbit_config).start()
    assert client.call("echo", "add", 2, b=3) == 5
    calls = [client.call_async("echo", "add", n, b=n) for n in range(10)]
    assert client.gather(*calls) == [2 * n for n in range(10)]


def test_declared_errors_arrive_with_their_details(container_factory, rabbit_config, client):
    container_factory(Echo, rabbit_config).start()
    with pytest.raises(RemoteServiceError) as caught:
        client.call("echo", "find", "spoon")
    assert caught.value.exc_type == "NotFound"
    assert caught.value.message == "no spoon here"
    assert caught.value.details == {"fields": {"key": ["unknown"]}}


def test_request_id_travels_in_nameko_context(container_factory, rabbit_config, client):
    container_factory(Echo, rabbit_config).start()
    assert client.call("echo", "seen_request_id", _context={"request_id": "req-abc-123"}) == "req-abc-123"


def test_an_expired_request_is_never_acted_on(container_factory, rabbit_config, client):
    Echo.handled = []
    container = container_factory(Echo, rabbit_config)
    container.start()
    assert client.call("echo", "add", 1) == 1
    container.stop()
    before = client._channel()
    with pytest.raises(ServiceUnavailable):
        client.call("echo", "add", 100, _timeout=0.3)
    assert client._channel() is not before, "a call with no answer in time leaves its connection behind"
    time.sleep(0.5)
    restarted = container_factory(Echo, rabbit_config)
    restarted.start()
    assert client.call("echo", "add", 7) == 7
    assert (100, 0) not in Echo.handled


def test_slow_queries_do_not_block_the_service(container_factory, rabbit_config, postgres, client):
    name = f"t_sleep_{uuid.uuid4().hex[:10]}"
    url = postgres.create(name)
    try:
        Sleeper.spans = []
        container_factory(Sleeper, {**rabbit_config, "DATABASE_URL": url}).start()
        client.gather(*[client.call_async("sleeper", "sleep", 0.3) for _ in range(4)])
        starts, ends = [s for s, _ in Sleeper.spans], [e for _, e in Sleeper.spans]
        assert len(Sleeper.spans) == 4
        assert max(starts) < min(ends), "the queries ran one after another: the driver blocked the event loop"
    finally:
        postgres.drop(name)


def test_nameko_clients_are_answered_too(container_factory, rabbit_config):
    container_factory(Echo, rabbit_config).start()
    with ClusterRpcProxy(rabbit_config, timeout=5) as cluster:
        assert cluster.echo.add(20, b=22) == 42
        with pytest.raises(RemoteError) as caught:
            cluster.echo.find("fork")
    assert caught.value.exc_type == "NotFound"


def test_a_kept_part_is_presented_once_whoever_asks(container_factory, rabbit_config, client):
    """An answer of parts crosses the broker as ``svclib.rpc.Parts`` writes it: the gateway decodes each reader's
    part and presents the kept page once, by its text."""
    container_factory(Pages, rabbit_config).start()
    presented = []

    def present(page):
        presented.append(page)
        return object()

    answers = [client.call("pages", "page", reader, _present=present, _part="page") for reader in ("ann", "bob")]
    assert [answer["post"]["reader"] for answer in answers] == ["ann", "bob"]
    assert answers[0]["page"] is answers[1]["page"]
    assert presented == [{"items": [{"id": "c1", "body": 'a "quote", é'}]}]
    with ClusterRpcProxy(rabbit_config, timeout=5) as cluster:
        assert cluster.pages.page("cat")["page"] == presented[0]


def test_requests_that_cannot_run_are_answered_with_an_error(container_factory, rabbit_config, client):
    container_factory(Echo, rabbit_config).start()
    with pytest.raises(RemoteServiceError) as unknown:
        client.call("echo", "subtract", 1, 2)
    assert unknown.value.exc_type == "MethodNotFound"
    with pytest.raises(RemoteServiceError) as wrong:
        client.call("echo", "add", 1, 2, 3)
    assert wrong.value.exc_type == "IncorrectSignature"
    with Connection(**connection_params(rabbit_config["AMQP_URI"])) as connection:
        channel = connection.channel()
        replies = []
        channel.basic_consume("amq.rabbitmq.reply-to", callback=replies.append, no_ack=True)
        for body in ("not json", "[1, 2]"):
            message = amqp.Message(body, content_type="application/json", reply_to="amq.rabbitmq.reply-to")
            channel.basic_publish(message, exchange="nameko-rpc", routing_key="echo.add")
        while len(replies) < 2:
            connection.drain_events(timeout=5)
    errors = [json.loads(reply.body)["error"]["exc_type"] for reply in replies]
    assert errors == ["MalformedRequest", "MalformedRequest"]
    assert client.call("echo", "add", 1) == 1


def test_the_service_reconnects_when_its_broker_connection_drops(container_factory, rabbit_config, client):
    container = container_factory(Echo, rabbit_config)
    container.start()
    assert client.call("echo", "add", 1) == 1
    (consumer,) = [ext for ext in container.subextensions if isinstance(ext, RpcQueueConsumer)]
    consumer._link.connection.sock.shutdown(socket.SHUT_RDWR)
    deadline = time.monotonic() + 10
    while True:
        try:
            assert client.call("echo", "add", 2, b=2, _timeout=1.0) == 4
            break
        except ServiceUnavailable:
            assert time.monotonic() < deadline, "the service did not come back after its connection dropped"


def test_the_consuming_connection_keeps_its_heartbeats(container_factory, rabbit_config, client):
    container = container_factory(Echo, {**rabbit_config, "HEARTBEAT": 2})
    container.start()
    (consumer,) = [ext for ext in container.subextensions if isinstance(ext, RpcQueueConsumer)]
    link = consumer._link
    assert link.connection.heartbeat == 2
    time.sleep(5)
    assert client.call("echo", "add", 3, b=4) == 7
    assert consumer._link is link, "the broker dropped the idle connection: heartbeats were not sent"
