"""RabbitMQ nodes of the suite's own: own node names, ports, data and log directories, cookie.

The machine's broker (``rabbit@<host>`` on 5672) is never touched: every node here is
started from Debian's ``/usr/lib/rabbitmq/bin/rabbitmq-server`` as a child of the suite,
in a process group of its own, and stopped or killed through that group only.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import kombu

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def available() -> bool:
    return os.path.exists(SERVER) and shutil.which("erl") is not None


class Node:
    """One RabbitMQ node in ``base``: started, stopped (SIGTERM), killed (SIGKILL) and started again."""

    def __init__(self, base: Path, name: str, cookie: str, seeds: list[str] | None = None):
        self.base = Path(base)
        self.name = f"{name}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.cookie = cookie
        self.seeds = seeds or []
        self.process: subprocess.Popen | None = None
        (self.base / "home").mkdir(parents=True, exist_ok=True)
        cookie_file = self.base / "home" / ".erlang.cookie"
        if not cookie_file.exists():
            cookie_file.write_text(cookie)
            cookie_file.chmod(0o400)
        (self.base / "enabled_plugins").write_text("[].\n")
        conf = [
            "loopback_users = none",
            "log.console = false",
            "log.file.level = info",
            "disk_free_limit.absolute = 50MB",
        ]
        if self.seeds:
            conf += [
                "cluster_formation.peer_discovery_backend = classic_config",
                "cluster_formation.randomized_startup_delay_range.min = 0",
                "cluster_formation.randomized_startup_delay_range.max = 1",
            ]
            conf += [f"cluster_formation.classic_config.nodes.{n} = {seed}" for n, seed in enumerate(self.seeds, 1)]
        (self.base / "rabbitmq.conf").write_text("\n".join(conf) + "\n")

    @property
    def uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.base / "home"),
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(self.base / "plugins-expand"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
            "RABBITMQ_PID_FILE": str(self.base / "node.pid"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),  # not the machine's
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def start(self) -> None:
        log = open(self.base / "server.out", "ab")  # noqa: SIM115 (owned by the child)
        self.process = subprocess.Popen(
            ["bash", "-c", f"ulimit -n 20000 2>/dev/null; exec {SERVER}"],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def ready(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"RabbitMQ node {self.name} exited; see {self.base}/log")
        try:
            with kombu.Connection(self.uri, connect_timeout=1) as connection:
                connection.connect()
                return True
        except Exception:  # not listening yet, or booting
            return False

    def wait(self, timeout: float = 120) -> float:
        """Seconds until the node accepts AMQP connections."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.ready():
                return time.monotonic() - started
            time.sleep(0.25)
        raise RuntimeError(f"RabbitMQ node {self.name} did not start in {timeout}s; see {self.base}/log")

    def _signal(self, sig: int, timeout: float) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 60) -> None:
        """An orderly shutdown (SIGTERM: the node closes its connections and queues)."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """A crash: SIGKILL to the node's whole process group."""
        self._signal(signal.SIGKILL, 10)

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [CTL, "-n", self.name, *args], env=self.env(), capture_output=True, text=True, timeout=timeout
        )


def new_cookie() -> str:
    return secrets.token_hex(16).upper()
