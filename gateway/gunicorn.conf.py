"""gunicorn settings for the gateway; every one can be overridden from the environment."""

import multiprocessing
import os
import shutil
import tempfile

bind = f"{os.environ.get('GATEWAY_HOST', '0.0.0.0')}:{os.environ.get('GATEWAY_PORT', '8000')}"
# Prometheus metrics, aggregated across workers, on a port of their own (never the public one).
metrics_port = int(os.environ.get("GATEWAY_METRICS_PORT", "9102"))
# Threads, not eventlet (gunicorn 26 removed that worker): each process holds one RPC client.
worker_class = "gthread"
workers = int(os.environ.get("GATEWAY_WORKERS", min(4, max(2, multiprocessing.cpu_count()))))
threads = int(os.environ.get("GATEWAY_THREADS", 8))
timeout = int(os.environ.get("GATEWAY_TIMEOUT", 30))
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("GATEWAY_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
limit_request_line = 8190

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gateway-metrics-")


def on_starting(server):
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def when_ready(server):
    from gateway import metrics

    host = os.environ.get("GATEWAY_METRICS_HOST") or os.environ.get("GATEWAY_HOST", "0.0.0.0")
    try:
        metrics.serve(metrics_port, host)
        server.log.info("metrics on http://%s:%s/metrics", host, metrics_port)
    except OSError as exc:
        server.log.error("metrics could not listen on %s:%s: %s", host, metrics_port, exc)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
