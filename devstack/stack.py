"""Start, stop and kill the platform's processes as production runs them:
``nameko run`` for each service, gunicorn for the gateway."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from devstack.infra import SERVICES, log, wait_for

ROOT = Path(__file__).resolve().parent.parent
BACKGROUND_SUFFIX = "-background"


def background(services) -> list[str]:
    """The names of services' background processes (svclib.roles), as metrics ports are keyed."""
    return [name + BACKGROUND_SUFFIX for name in services]


SERVICE_MODULES = [f"{name}.service" for name in SERVICES]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    def __init__(self, env: dict[str, str], gateway_port: int, log_dir: Path, web_port: int | None = None):
        # Development mode (the offline payment provider, secrets random per process): always on in
        # the devstack, never in the deploy files.
        self.env = {
            "WIKISOCIAL_DEV_MODE": "1",
            **os.environ,
            **env,
            "PYTHONUNBUFFERED": "1",
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
        }
        self.gateway_port = gateway_port
        self.metrics_port = _free_port()  # the gateway's Prometheus metrics, never on its public port
        # Every other process's metrics port (METRICS_PORT for a service's requests process and
        # BACKGROUND_METRICS_PORT for its background one, svclib.serve; WEB_METRICS_PORT for the site).
        self.metrics_ports = {name: _free_port() for name in (*SERVICES, *background(SERVICES), "web")}
        self.metrics_ports["gateway"] = self.metrics_port
        self.web_port = web_port
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen] = {}
        # How each process was started, so that a crashed one can be started again the same way.
        self._specs: dict[str, tuple[list[str], Path, dict]] = {}
        self._restarts: dict[str, _Restart] = {}

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def metrics_urls(self) -> dict[str, str]:
        """Each running process's /metrics, by name (``<service>-background``: a service's background process)."""
        return {
            name: f"http://127.0.0.1:{port}/metrics"
            for name, port in self.metrics_ports.items()
            if name.removesuffix(BACKGROUND_SUFFIX) in self.processes
        }

    def _spawn(self, name: str, argv: list[str], cwd: Path, extra_env: dict | None = None) -> subprocess.Popen:
        self._specs[name] = (argv, cwd, dict(extra_env or {}))
        logfile = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (owned by the child's lifetime)
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**self.env, **(extra_env or {})},
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        logfile.close()
        self.processes[name] = process
        return process

    def declare_topology(self) -> None:
        subprocess.run([sys.executable, "-m", "svclib.topology", *SERVICE_MODULES], env=self.env, check=True, cwd=ROOT)

    def start_service(self, name: str, replica: int = 1, **extra_env: str) -> subprocess.Popen:
        """Start service ``name`` as production runs it (``svclib.serve``: its requests process and its
        background one, in one process group); ``replica`` 2, 3 … start more of it, known as ``name#2`` …,
        competing for the same RPC and event queues."""
        argv = [sys.executable, "-m", "svclib.serve", "--config", "config.yml", f"{name}.service"]
        key = name if replica == 1 else f"{name}#{replica}"
        # Each replica's processes their own metrics ports.
        port = self.metrics_ports[name] if replica == 1 else _free_port()
        background_port = self.metrics_ports[name + BACKGROUND_SUFFIX] if replica == 1 else _free_port()
        env = {
            "METRICS_PORT": str(port),
            "BACKGROUND_METRICS_PORT": str(background_port),
            "METRICS_HOST": "127.0.0.1",
            **extra_env,
        }
        return self._spawn(key, argv, ROOT / "services" / name, env)

    def service_healthy(self, name: str, timeout: float = 2.0) -> bool:
        result = subprocess.run(
            [sys.executable, "-m", "svclib.healthcheck", name, "--timeout", str(timeout)],
            env=self.env,
            capture_output=True,
            cwd=ROOT,
        )
        return result.returncode == 0

    def wait_service(self, name: str, timeout: float = 60) -> None:
        def up() -> bool:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited; see {self.log_dir / (name + '.log')}")
            return self.service_healthy(name)

        if not wait_for(up, timeout, interval=0.5):
            raise RuntimeError(f"{name} did not answer within {timeout}s; see {self.log_dir / (name + '.log')}")

    def start_gateway(self, **extra_env: str) -> subprocess.Popen:
        argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "gateway.app:create_app()"]
        env = {
            "GATEWAY_PORT": str(self.gateway_port),
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_METRICS_PORT": str(self.metrics_port),
            **extra_env,
        }
        return self._spawn("gateway", argv, ROOT / "gateway", env)

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.processes["gateway"].poll() is not None:
                raise RuntimeError(f"the gateway exited; see {self.log_dir / 'gateway.log'}")
            try:
                return requests.get(f"{self.gateway_url}/readyz", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        if not wait_for(ready, timeout, interval=0.5):
            raise RuntimeError(f"the gateway was not ready within {timeout}s; see {self.log_dir}")

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start_web(self, **extra_env: str) -> subprocess.Popen:
        """The site, under gunicorn, speaking to this stack's gateway over HTTP only."""
        argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "web.app:create_app()"]
        env = {
            "WEB_PORT": str(self.web_port),
            "WEB_HOST": "127.0.0.1",
            "WEB_METRICS_PORT": str(self.metrics_ports["web"]),
            "GATEWAY_URL": self.gateway_url,
            **extra_env,
        }
        return self._spawn("web", argv, ROOT / "web", env)

    def wait_web(self, timeout: float = 60) -> None:
        def up() -> bool:
            if self.processes["web"].poll() is not None:
                raise RuntimeError(f"the site exited; see {self.log_dir / 'web.log'}")
            try:
                return requests.get(f"{self.web_url}/healthz", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        if not wait_for(up, timeout, interval=0.5):
            raise RuntimeError(f"the site did not answer within {timeout}s; see {self.log_dir / 'web.log'}")

    def start_all(self) -> None:
        self.declare_topology()
        for name in SERVICES:
            self.start_service(name)
        for name in SERVICES:
            self.wait_service(name)
        self.start_gateway()
        self.wait_ready()

    def stop(self, name: str, timeout: float = 15) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.terminate()  # the leader stops its own (gunicorn's master, svclib.serve): once each
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash: nothing gets to clean up."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self, timeout: float = 15) -> None:
        """SIGTERM to every process at once (to each group's leader, which stops the rest of its group),
        then wait; SIGKILL what outlives the timeout."""
        running = {name: p for name, p in self.processes.items() if p.poll() is None}
        for process in running.values():
            process.terminate()
        deadline = time.monotonic() + timeout
        for process in running.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def supervise(self, now: float | None = None) -> list[str]:
        """Start again, with a growing back-off, every process that exited on its own.

        One crashed service must not take the others down: the rest keep serving (the
        gateway answers 503 for what needs the missing service) while it comes back.
        Returns the names started again by this call.
        """
        now = time.monotonic() if now is None else now
        restarted = []
        for name, process in list(self.processes.items()):
            if process.poll() is None:
                state = self._restarts.get(name)
                if state is not None and now - state.started_at >= RESTART_RESET_SECONDS:
                    del self._restarts[name]  # it ran long enough: the next crash starts the back-off again
                continue
            state = self._restarts.setdefault(name, _Restart())
            if state.due_at is None:
                state.due_at = now + state.delay
                log(
                    f"{name} exited with {process.returncode}; starting it again in {state.delay:.0f}s "
                    f"(see {self.log_dir / (name + '.log')})"
                )
            if now < state.due_at:
                continue
            argv, cwd, extra_env = self._specs[name]
            self._spawn(name, argv, cwd, extra_env)
            state.started_at, state.due_at = now, None
            state.delay = min(state.delay * 2, RESTART_MAX_DELAY_SECONDS)
            log(f"{name} started again")
            restarted.append(name)
        return restarted

    def watch(self) -> None:
        """Block until Ctrl-C, starting again any process that dies."""
        while True:
            self.supervise()
            time.sleep(0.5)


RESTART_FIRST_DELAY_SECONDS = 1.0
RESTART_MAX_DELAY_SECONDS = 30.0
RESTART_RESET_SECONDS = 60.0


class _Restart:
    """The back-off of one process that keeps exiting: 1 s, 2 s, 4 s … 30 s."""

    def __init__(self) -> None:
        self.delay = RESTART_FIRST_DELAY_SECONDS
        self.due_at: float | None = None
        self.started_at = 0.0
