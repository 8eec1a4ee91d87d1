"""Find or start RabbitMQ and PostgreSQL; make vhosts and databases.

Order of preference everywhere: settings from the environment, then
containers (testcontainers) where a Docker engine answers, then the local
Debian servers, installed and started when missing or stopped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import uuid
from dataclasses import dataclass

import requests

SERVICES = ("identity", "communities", "content", "feed", "donations")


def log(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(predicate, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def is_root() -> bool:
    return os.geteuid() == 0


def apt_install(*packages: str) -> bool:
    if not is_root() or not shutil.which("apt-get"):
        return False
    log(f"installing {' '.join(packages)} from Debian's packages")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    return subprocess.run(["apt-get", "install", "-y", "-qq", *packages], env=env, check=False).returncode == 0


def docker_engine() -> bool:
    if os.environ.get("DEVSTACK_NO_DOCKER"):
        return False
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:  # no client, no socket, or no engine behind it
        return False


# --- RabbitMQ -------------------------------------------------------------------


@dataclass
class Broker:
    host: str
    port: int
    user: str
    password: str
    management_url: str
    container: object | None = None

    def uri(self, vhost: str = "/") -> str:
        quoted = urllib.parse.quote(vhost, safe="")
        return f"amqp://{self.user}:{self.password}@{self.host}:{self.port}/{quoted}"

    def _api(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return requests.request(method, f"{self.management_url}/api/{path}", auth=(self.user, self.password), **kwargs)

    def create_vhost(self, name: str | None = None) -> str:
        name = name or f"test-{uuid.uuid4().hex[:10]}"
        vhost = urllib.parse.quote(name, safe="")
        self._api("PUT", f"vhosts/{vhost}").raise_for_status()
        permissions = {"configure": ".*", "write": ".*", "read": ".*"}
        self._api("PUT", f"permissions/{vhost}/{self.user}", json=permissions).raise_for_status()
        return name

    def delete_vhost(self, name: str) -> None:
        """Drop a vhost; on a busy broker closing its connections and stores can take a while."""
        path = f"vhosts/{urllib.parse.quote(name, safe='')}"
        for attempt in (1, 2):
            try:
                self._api("DELETE", path, timeout=60)
                return
            except requests.Timeout:
                if attempt == 2:
                    raise

    def management_ready(self) -> bool:
        try:
            return self._api("GET", "overview").status_code == 200
        except requests.RequestException:
            return False


def start_local_rabbitmq() -> None:
    if port_open("127.0.0.1", 5672):
        return
    if not shutil.which("rabbitmq-server") and not apt_install("rabbitmq-server"):
        raise RuntimeError("RabbitMQ is not running and could not be installed (needs root and apt-get)")
    log("starting RabbitMQ")
    # Debian's wrapper starts the node through su, which puts the open-file limit back to 1024: too few
    # for a test run's quorum queues and connections (the node stops answering). As root, the node is
    # started as the rabbitmq user with the limit raised in its own shell.
    inner = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    if is_root() and os.path.exists(inner):
        command = f'cd /var/lib/rabbitmq && su rabbitmq -s /bin/sh -c "ulimit -n 20000 2>/dev/null; {inner} -detached"'
    else:
        command = "ulimit -n 20000 2>/dev/null; rabbitmq-server -detached"
    subprocess.run(command, shell=True, check=False)
    if not wait_for(lambda: port_open("127.0.0.1", 5672), 60):
        raise RuntimeError("RabbitMQ did not start on 127.0.0.1:5672")
    subprocess.run(["rabbitmqctl", "await_startup"], check=False, capture_output=True)


def enable_local_management(broker: Broker) -> None:
    if broker.management_ready():
        return
    log("enabling the RabbitMQ management plugin")
    subprocess.run(["rabbitmq-plugins", "enable", "rabbitmq_management"], check=False, capture_output=True)
    if not wait_for(broker.management_ready, 30):
        raise RuntimeError("the RabbitMQ management API did not answer on :15672")


def find_broker() -> Broker:
    uri = os.environ.get("AMQP_URI")
    if uri:
        parts = urllib.parse.urlparse(uri)
        user, password = parts.username or "guest", parts.password or "guest"
        host, port = parts.hostname or "127.0.0.1", parts.port or 5672
        management = os.environ.get("RABBIT_MANAGEMENT_URL", f"http://{host}:15672")
        broker = Broker(host, port, user, password, management.rstrip("/"))
        if host in ("127.0.0.1", "localhost"):
            enable_local_management(broker)
        return broker
    if docker_engine():
        from testcontainers.rabbitmq import RabbitMqContainer

        container = RabbitMqContainer("rabbitmq:3.13-management")
        container.start()
        host = container.get_container_host_ip()
        amqp_port = int(container.get_exposed_port(5672))
        management_port = int(container.get_exposed_port(15672))
        broker = Broker(host, amqp_port, "guest", "guest", f"http://{host}:{management_port}", container)
        wait_for(broker.management_ready, 60)
        return broker
    start_local_rabbitmq()
    broker = Broker("127.0.0.1", 5672, "guest", "guest", "http://127.0.0.1:15672")
    enable_local_management(broker)
    return broker


# --- PostgreSQL -------------------------------------------------------------------


def start_local_postgres() -> bool:
    """True when a local PostgreSQL answers on 127.0.0.1:5432 (installed/started if need be)."""
    if port_open("127.0.0.1", 5432):
        return True
    if not shutil.which("pg_ctlcluster") and not apt_install("postgresql"):
        return False
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        return False
    log("starting PostgreSQL")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False, capture_output=True
    )
    return wait_for(lambda: port_open("127.0.0.1", 5432), 30)


class Postgres:
    """A PostgreSQL server on which databases are created and dropped."""

    def __init__(self, admin_url: str, container: object | None = None):
        self.admin_url = admin_url
        self.container = container

    def url(self, database: str) -> str:
        parts = urllib.parse.urlparse(self.admin_url)
        return urllib.parse.urlunparse(parts._replace(path=f"/{database}"))

    def _execute(self, sql: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def exists(self, database: str) -> bool:
        return bool(self._execute(f"SELECT 1 FROM pg_database WHERE datname = '{database}'"))

    def create(self, database: str, template: str | None = None) -> str:
        suffix = f" TEMPLATE {template}" if template else ""
        self._execute(f'CREATE DATABASE "{database}"{suffix}')
        return self.url(database)

    def drop(self, database: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    def reachable(self) -> bool:
        try:
            self._execute("SELECT 1")
            return True
        except Exception:  # any failure to connect means "not reachable"
            return False


def find_postgres(allow_install: bool = True) -> Postgres | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return Postgres(url)
    if docker_engine():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:15", driver=None)
        container.start()
        return Postgres(container.get_connection_url(), container)
    if allow_install and start_local_postgres() or port_open("127.0.0.1", 5432):
        server = Postgres("postgresql://postgres@127.0.0.1:5432/postgres")
        if server.reachable():
            return server
    return None
