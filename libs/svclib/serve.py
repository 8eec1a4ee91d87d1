"""``python -m svclib.serve [--config config.yml] <module>``: one service as its two processes.

Starts ``nameko run`` twice for the service, in the same process group: one with
``SERVICE_ROLE=requests`` (its RPCs) and one with ``SERVICE_ROLE=background`` (its event handlers
and timers, at a lower CPU priority), see :mod:`svclib.roles`. This is how ``make run``, the
images (compose and Kubernetes) and the end-to-end tests run every service, so one container or
one process group is still one service, replicated and restarted as a whole:

- SIGTERM or SIGINT is passed on to both, which stop gracefully; it exits when both have;
- when either exits by itself, the other is stopped and this exits with the first one's code
  (non-zero if it was zero: a service without one of its roles is not serving), so the
  container's restart policy (or ``make run``'s back-off) starts the service again;
- they die with it if it is killed (Linux's parent-death signal).

Each serves its metrics on a port of its own: the requests process on ``METRICS_PORT``, the
background one on ``BACKGROUND_METRICS_PORT`` (by default ``METRICS_PORT`` + 1). The replica's
database connections (``DB_POOL_SIZE``, ``DB_MAX_OVERFLOW``) are shared between them, half each,
so a replica opens no more than one process did.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time

from svclib import settings

# svclib.roles' names for them; not imported from there: this process loads neither nameko nor eventlet.
REQUESTS, BACKGROUND = "requests", "background"

log = logging.getLogger("svclib.serve")

STOP_SECONDS = 25.0  # within Kubernetes' default 30 s of grace
PR_SET_PDEATHSIG = 1


# A replica's database connections (DB_POOL_SIZE, DB_MAX_OVERFLOW, defaults in svclib.settings) are
# shared between its two processes, so that a replica holds no more than one process did: half each
# (a pooled connection at least each; the requests process the odd one).
POOL_SETTINGS = {"DB_POOL_SIZE": settings.DEFAULT_POOL_SIZE, "DB_MAX_OVERFLOW": settings.DEFAULT_MAX_OVERFLOW}


def pool_share(role: str, setting: str, total: int) -> int:
    least = 1 if setting == "DB_POOL_SIZE" else 0
    background = max(least, total // 2)
    return background if role == BACKGROUND else max(least, total - background)


def role_env(role: str, environ: dict[str, str]) -> dict[str, str]:
    """The environment of ``role``'s process."""
    env = {**environ, "SERVICE_ROLE": role}
    for setting, default in POOL_SETTINGS.items():
        given = (environ.get(setting) or "").strip()
        env[setting] = str(pool_share(role, setting, int(given) if given.isdigit() else default))
    if role == BACKGROUND:
        port = environ.get("BACKGROUND_METRICS_PORT") or ""
        if not port and (environ.get("METRICS_PORT") or "").isdigit():
            port = str(int(environ["METRICS_PORT"]) + 1)
        env["METRICS_PORT"] = port
    return env


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: a killed supervisor leaves them to the group's signal
        pass


class Supervisor:
    def __init__(self, argv: list[str], environ: dict[str, str]):
        self.argv = argv
        self.environ = environ
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = False  # both are being stopped
        self.asked_to_stop = False  # by a signal, not because one of them ended

    def start(self) -> None:
        for role in (REQUESTS, BACKGROUND):
            if self.asked_to_stop:
                return
            self.children[role] = subprocess.Popen(
                self.argv, env=role_env(role, self.environ), preexec_fn=_die_with_parent
            )

    def stop(self, signum: int = signal.SIGTERM) -> None:
        self.stopping = True
        for child in self.children.values():
            if child.poll() is None:
                try:
                    child.send_signal(signum)
                except ProcessLookupError:
                    pass

    def wait(self) -> int:
        """Until both have exited; the exit code of the one that exited first."""
        first: tuple[str, int] | None = None
        deadline: float | None = None
        while True:
            running = [role for role, child in self.children.items() if child.poll() is None]
            if first is None:
                ended = [role for role in self.children if role not in running]
                if ended:
                    first = (ended[0], self.children[ended[0]].returncode)
                    if not self.stopping:
                        log.error("the %s process exited (code %s); stopping the service", *first)
                        self.stop()
            if not running:
                break
            if self.stopping:
                deadline = deadline or time.monotonic() + STOP_SECONDS
                if time.monotonic() > deadline:
                    for role in running:
                        log.error("the %s process did not stop in time; killing it", role)
                        self.children[role].kill()
            time.sleep(0.1)
        _, code = first
        return 1 if code == 0 and not self.asked_to_stop else code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("module", help="the service's module, e.g. identity.service")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    supervisor = Supervisor(
        [sys.executable, "-m", "nameko", "run", "--config", args.config, args.module], dict(os.environ)
    )

    def stop(signum, _frame) -> None:
        supervisor.asked_to_stop = True
        supervisor.stop(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    supervisor.start()
    return supervisor.wait()


if __name__ == "__main__":
    sys.exit(main())
