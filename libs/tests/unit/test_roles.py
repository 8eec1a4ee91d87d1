"""A service's two processes: which entrypoints each serves, and how one runs them both."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from nameko.containers import ServiceContainer
from nameko.timer import timer

from svclib.events import ParkingQueueConsumer, event_handler
from svclib.roles import RoleContainer
from svclib.rpc import RpcQueueConsumer, rpc
from svclib.serve import POOL_SETTINGS, Supervisor, role_env


class Example:
    name = "example"

    @rpc
    def ask(self) -> str:
        return "answer"

    @event_handler("elsewhere", "happened")
    def on_happened(self, payload: dict) -> None:
        pass

    @event_handler("elsewhere", "shown", lane="seen")
    def on_shown(self, payload: dict) -> None:
        pass

    @timer(interval=60)
    def tick(self) -> None:
        pass


def container(role: str | None, **extra: str) -> RoleContainer:
    config = {"AMQP_URI": "memory://", "BACKGROUND_NICE": "0", **extra}
    if role is not None:
        config["SERVICE_ROLE"] = role
    return RoleContainer(Example, config)


def served(made: RoleContainer) -> set[str]:
    return {entrypoint.method_name for entrypoint in made.entrypoints}


def consumers(made: RoleContainer) -> set[type]:
    return {type(e) for e in made.subextensions if isinstance(e, RpcQueueConsumer | ParkingQueueConsumer)}


def test_the_requests_process_answers_rpcs_only():
    made = container("requests")
    assert served(made) == {"ask"}
    assert consumers(made) == {RpcQueueConsumer}  # no event queue is consumed there


def test_the_background_process_handles_events_and_timers_and_answers_no_rpc():
    made = container("background")
    assert served(made) == {"on_happened", "on_shown", "tick"}
    assert consumers(made) == {ParkingQueueConsumer}


def test_the_event_handlers_of_the_requests_lanes_run_beside_the_requests():
    requests, background = container("requests", REQUESTS_LANES="seen"), container("background", REQUESTS_LANES="seen")
    assert served(requests) == {"ask", "on_shown"}
    assert consumers(requests) == {RpcQueueConsumer, ParkingQueueConsumer}
    assert served(background) == {"on_happened", "tick"}
    assert consumers(background) == {ParkingQueueConsumer}


@pytest.mark.parametrize("role", [None, "all"])
def test_one_process_serves_everything_unless_told_otherwise(role):
    made = container(role)
    assert served(made) == {"ask", "on_happened", "on_shown", "tick"}
    assert consumers(made) == {RpcQueueConsumer, ParkingQueueConsumer}


def test_an_unknown_role_is_refused():
    with pytest.raises(ValueError, match="SERVICE_ROLE"):
        container("everything")


def test_a_background_process_runs_at_a_lower_priority():
    code = textwrap.dedent(
        """
        import os
        from svclib.roles import RoleContainer
        from tests.unit.test_roles import Example
        before = os.nice(0)
        RoleContainer(Example, {"AMQP_URI": "memory://", "SERVICE_ROLE": "background", "BACKGROUND_NICE": "7"})
        print(os.nice(0) - before)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=LIBS, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == str(min(7, 19 - os.nice(0)))


LIBS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_each_process_gets_its_role_and_its_own_metrics_port():
    assert role_env("requests", {"METRICS_PORT": "9100"})["METRICS_PORT"] == "9100"
    assert role_env("requests", {"METRICS_PORT": "9100"})["SERVICE_ROLE"] == "requests"
    assert role_env("background", {"METRICS_PORT": "9100"})["SERVICE_ROLE"] == "background"
    assert role_env("background", {"METRICS_PORT": "9100"})["METRICS_PORT"] == "9101"
    given = {"METRICS_PORT": "9100", "BACKGROUND_METRICS_PORT": "9200"}
    assert role_env("background", given)["METRICS_PORT"] == "9200"
    assert role_env("background", {})["METRICS_PORT"] == ""  # no metrics asked for: none served


# A stand-in for ``nameko run``: says its role, then serves until SIGTERM (exit 0), or, as
# told by CRASH_ROLE, exits with 3 at once.
CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    role = os.environ["SERVICE_ROLE"]
    if os.environ.get("CRASH_ROLE") == role:
        sys.exit(3)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(os.path.join(os.environ["OUT"], role), "w") as out:
        out.write(os.environ.get("METRICS_PORT", ""))
    while True:
        time.sleep(0.05)
    """
)


def supervised(tmp_path, **env: str) -> Supervisor:
    supervisor = Supervisor([sys.executable, "-c", CHILD], {**os.environ, "OUT": str(tmp_path), **env})
    supervisor.start()
    return supervisor


def test_when_one_process_ends_the_other_is_stopped_and_the_service_exits_with_its_code(tmp_path):
    supervisor = supervised(tmp_path, CRASH_ROLE="background")
    assert supervisor.wait() == 3
    assert all(child.poll() is not None for child in supervisor.children.values())
    assert supervisor.children["requests"].returncode == 0  # stopped gracefully


def test_a_stop_is_passed_on_to_both_processes(tmp_path):
    supervisor = supervised(tmp_path, METRICS_PORT="9100")
    deadline = time.monotonic() + 30
    while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"requests": "9100", "background": "9101"}
    threading.Timer(0.1, lambda: (setattr(supervisor, "asked_to_stop", True), supervisor.stop())).start()
    assert supervisor.wait() == 0
    assert [child.returncode for child in supervisor.children.values()] == [0, 0]


def test_a_service_that_ends_on_its_own_with_success_is_still_a_failure(tmp_path):
    supervisor = Supervisor([sys.executable, "-c", "pass"], dict(os.environ))
    supervisor.start()
    assert supervisor.wait() == 1


def test_the_command_stops_both_on_sigterm(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # svclib.serve runs `python -m nameko run ...`: the stand-in is a module named nameko, first on the path.
    (tmp_path / "nameko").mkdir()
    (tmp_path / "nameko" / "__init__.py").write_text("")
    (tmp_path / "nameko" / "__main__.py").write_text(CHILD)
    env = {**os.environ, "OUT": str(out), "PYTHONPATH": os.pathsep.join([str(tmp_path), LIBS])}
    process = subprocess.Popen([sys.executable, "-m", "svclib.serve", "example.service"], env=env, cwd=LIBS)
    deadline = time.monotonic() + 30
    while len(list(out.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(p.name for p in out.iterdir()) == ["background", "requests"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


@pytest.mark.parametrize(
    ("pool", "overflow"), [(None, None), ("5", "5"), ("3", "3"), ("1", "0"), ("10", "2"), ("2", "1")]
)
def test_the_two_processes_share_the_replicas_connections(pool, overflow):
    environ = {k: v for k, v in (("DB_POOL_SIZE", pool), ("DB_MAX_OVERFLOW", overflow)) if v is not None}
    requests, background = role_env("requests", environ), role_env("background", environ)
    for setting, default in POOL_SETTINGS.items():
        total = int(environ.get(setting, default))
        shares = int(requests[setting]), int(background[setting])
        # Never more than one process had (a pool of one is the least each process can work with).
        assert sum(shares) == max(total, 2 if setting == "DB_POOL_SIZE" else 0), (setting, shares)
        assert min(shares) >= (1 if setting == "DB_POOL_SIZE" else 0)


def test_the_replicas_connections_default_to_what_one_process_would_have():
    from svclib.db import engine

    assert POOL_SETTINGS == {"DB_POOL_SIZE": engine.DEFAULT_POOL_SIZE, "DB_MAX_OVERFLOW": engine.DEFAULT_MAX_OVERFLOW}


def test_a_started_process_freezes_what_its_start_up_made(monkeypatch):
    """Once a service's process has started, its objects (modules, metadata, extensions) are frozen out of the
    garbage collector's full walks (svclib.heap): each walked them all, 75 to 100 ms of CPU a time, stopping
    every green thread. ``GC_FREEZE_ON_START=false`` leaves them."""
    monkeypatch.setattr(ServiceContainer, "start", lambda self: None)
    assert gc.get_freeze_count() == 0
    try:
        container("requests").start()
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
    container("requests", GC_FREEZE_ON_START="false").start()
    assert gc.get_freeze_count() == 0
