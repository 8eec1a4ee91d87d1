"""Find or start RabbitMQ and PostgreSQL; make vhosts and databases.

Order of preference everywhere: settings from the environment, then
containers (testcontainers) where a Docker engine answers, then the local
Debian servers, installed and started when missing or stopped.
"""

from __future__ import annotations

import os
import pwd
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


# --- who made a vhost or a database --------------------------------------------------
# A run that is killed (Ctrl-C twice, a timeout, SIGKILL) cannot drop what it made; left there, hundreds
# of vhosts full of quorum queues slow the machine's broker down until it stops answering. Each vhost
# and database made here is labelled with its maker (host, pid and the process's start time, since a
# pid is reused), and `make servers` drops those whose maker is gone. Two runs side by side never
# touch each other's: a live maker's are kept.


def process_started(pid: int) -> str | None:
    """The process's start time in clock ticks after boot, None when no such process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_label() -> str:
    return f"devstack host={socket.gethostname()} pid={os.getpid()} started={process_started(os.getpid())}"


def owner_gone(label: str | None) -> bool:
    """True only for a label of ours whose process, on this host, has ended."""
    if not label or not label.startswith("devstack "):
        return False
    fields = dict(part.split("=", 1) for part in label.split()[1:] if "=" in part)
    if fields.get("host") != socket.gethostname() or not fields.get("pid", "").isdigit():
        return False
    return process_started(int(fields["pid"])) != fields.get("started")


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
        self._api("PUT", f"vhosts/{vhost}", json={"description": owner_label()}).raise_for_status()
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

    def drop_abandoned(self) -> list[str]:
        """Drop the vhosts whose maker has ended (see owner_label)."""
        vhosts = self._api("GET", "vhosts?columns=name,description").json()
        gone = [v["name"] for v in vhosts if owner_gone(v.get("description"))]
        for name in gone:
            self.delete_vhost(name)
        return gone

    def management_ready(self) -> bool:
        try:
            return self._api("GET", "overview").status_code == 200
        except requests.RequestException:
            return False


# Below this many open files a whole test run (every service's connections, quorum queues' segment
# files) can exhaust the node: it then stops answering.
RABBITMQ_MIN_OPEN_FILES = 8192


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


def local_rabbitmq_open_files() -> int | None:
    """The soft open-file limit of this machine's RabbitMQ node (its Erlang VM, run by the rabbitmq
    user: a node that a fault test starts for itself is not it), None when none runs."""
    try:
        owner = pwd.getpwnam("rabbitmq").pw_uid
    except KeyError:
        return None
    for entry in os.scandir("/proc"):
        try:
            if not entry.name.isdigit() or entry.stat().st_uid != owner:
                continue
            with open(f"/proc/{entry.name}/comm") as comm:
                if comm.read().strip() != "beam.smp":
                    continue
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                if b"rabbit" not in cmdline.read():
                    continue
            with open(f"/proc/{entry.name}/limits") as limits:
                for line in limits:
                    if line.startswith("Max open files"):
                        soft = line.split()[3]
                        return None if soft == "unlimited" else int(soft)
        except (OSError, ValueError):
            continue
    return None


def raise_local_open_file_limit(broker: Broker) -> None:
    """The machine's own node, started before us under Debian's limit of 1024 open files, is started
    again with the higher limit (as root; otherwise a warning says what to do)."""
    if broker.container is not None or broker.host not in ("127.0.0.1", "localhost"):
        return
    limit = local_rabbitmq_open_files()
    if limit is None or limit >= RABBITMQ_MIN_OPEN_FILES:
        return
    if not is_root() or not shutil.which("rabbitmqctl"):
        log(f"RabbitMQ allows {limit} open files; a test run needs {RABBITMQ_MIN_OPEN_FILES}: raise it")
        return
    log(f"RabbitMQ allows only {limit} open files: starting it again with a limit of 20000")
    subprocess.run(["rabbitmqctl", "stop"], check=False, capture_output=True)
    wait_for(lambda: not port_open("127.0.0.1", 5672), 60)
    start_local_rabbitmq()
    enable_local_management(broker)


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
        self._execute(f"COMMENT ON DATABASE \"{database}\" IS '{owner_label()}'")
        return self.url(database)

    def drop_abandoned(self) -> list[str]:
        """Drop the databases whose maker has ended (see owner_label)."""
        rows = self._execute(
            "SELECT d.datname, s.description FROM pg_database d JOIN pg_shdescription s"
            " ON s.objoid = d.oid AND s.classoid = 'pg_database'::regclass"
        )
        gone = [name for name, label in rows if owner_gone(label)]
        for name in gone:
            self.drop(name)
        return gone

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
