"""Prometheus metrics of a gunicorn application (the gateway, the site), aggregated across its
workers when ``PROMETHEUS_MULTIPROC_DIR`` is set, served by gunicorn's master on a port of its own.

The application counts in its workers; ``gunicorn.conf.py`` calls :func:`on_starting`,
:func:`when_ready` with the port, and :func:`child_exit`. Nothing here imports a service's plumbing.
"""

from __future__ import annotations

import os
import shutil
import tempfile

# prometheus_client is imported only inside the functions: it chooses between counting in memory and
# counting in PROMETHEUS_MULTIPROC_DIR's files when first imported, which must come after
# ensure_multiprocess_dir (gunicorn.conf.py imports this module before it calls that).


def ensure_multiprocess_dir(prefix: str) -> None:
    """Give the workers a directory to share their counts in (before gunicorn forks them, and before
    prometheus_client is first imported)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=f"{prefix}-metrics-")


def registry():
    from prometheus_client import CollectorRegistry

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
        return collected
    from prometheus_client import REGISTRY

    return REGISTRY


def render() -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(registry()), CONTENT_TYPE_LATEST


def serve(port: int, host: str = "0.0.0.0"):
    """Serve ``/metrics`` on its own port from a background thread (gunicorn's master calls this)."""
    from prometheus_client import start_http_server

    return start_http_server(port, addr=host, registry=registry())


def on_starting(server) -> None:
    """A fresh directory for this server's workers' counts."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def when_ready(server, port: int, host: str) -> None:
    try:
        serve(port, host)
        server.log.info("metrics on http://%s:%s/metrics", host, port)
    except OSError as exc:
        server.log.error("metrics could not listen on %s:%s: %s", host, port, exc)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
