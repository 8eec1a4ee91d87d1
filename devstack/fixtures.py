"""pytest fixtures: a real broker and real PostgreSQL for every test that needs them.

Each test gets its own RabbitMQ vhost and its own freshly created databases,
dropped afterwards, so tests never depend on order or on each other. The
servers come from ``AMQP_URI`` / ``TEST_DATABASE_URL`` when set, else from
testcontainers where a Docker engine answers, else the local servers.
"""

from __future__ import annotations

import uuid

import pytest

from devstack import infra
from svclib.db import make_engine, migrate
from svclib.migrations import migrations_dir


@pytest.fixture(scope="session")
def broker():
    server = infra.find_broker()
    yield server
    if server.container is not None:
        server.container.stop()


@pytest.fixture(scope="session")
def postgres():
    server = infra.find_postgres()
    if server is None:
        raise RuntimeError("PostgreSQL is needed: set TEST_DATABASE_URL or install postgresql")
    yield server
    if server.container is not None:
        server.container.stop()


@pytest.fixture
def vhost(broker):
    name = broker.create_vhost()
    yield name
    broker.delete_vhost(name)


@pytest.fixture
def amqp_uri(broker, vhost):
    return broker.uri(vhost)


@pytest.fixture
def rabbit_config(amqp_uri):
    """nameko config on this test's own vhost (replaces nameko's fixture of the same name)."""
    return {
        "AMQP_URI": amqp_uri,
        "EVENT_MAX_RETRIES": 2,
        "EVENT_RETRY_DELAY_MS": 100,
        "OUTBOX_POLL_INTERVAL": 0.2,
        "WIKISOCIAL_DEV_MODE": "1",  # development mode, explicitly: the offline payment provider
    }


@pytest.fixture(scope="session")
def migrated_templates(postgres):
    """One migrated template database per service and run; tests copy them."""
    run = uuid.uuid4().hex[:8]
    templates: dict[str, str] = {}

    def template(service: str) -> str:
        if service not in templates:
            name = f"tpl_{service}_{run}"
            engine = make_engine(postgres.create(name))
            migrate(engine, migrations_dir(service))
            engine.dispose()
            templates[service] = name
        return templates[service]

    yield template
    for name in templates.values():
        postgres.drop(name)


@pytest.fixture
def database_url(postgres, migrated_templates):
    """``database_url("identity")``: a fresh, migrated PostgreSQL database for this test."""
    created: list[str] = []

    def make(service: str) -> str:
        name = f"t_{service}_{uuid.uuid4().hex[:10]}"
        url = postgres.create(name, template=migrated_templates(service))
        created.append(name)
        return url

    yield make
    for name in created:
        postgres.drop(name)


@pytest.fixture
def service_config(rabbit_config, database_url):
    """``service_config("identity", "feed")``: nameko config with a fresh database for each."""

    def make(*services: str, **extra) -> dict:
        config = dict(rabbit_config)
        for service in services:
            config[f"{service.upper()}_DATABASE_URL"] = database_url(service)
        config.update(extra)
        return config

    return make
