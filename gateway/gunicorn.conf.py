"""gunicorn settings for the gateway; every one can be overridden from the environment."""

import multiprocessing
import os

from svclib import heap, httpmetrics, logs

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
# JSON lines (time, level, service, request id, trace id), or text with LOG_FORMAT=text (svclib.logs).
logconfig_dict = logs.gunicorn_config("gateway", access=accesslog)
logger_class = logs.gunicorn_logger_class()
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Refused by gunicorn before the application, answered in the API's JSON error shape (gateway.http_errors):
# a longer request line is a 414, more header fields or a longer one a 431.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

httpmetrics.ensure_multiprocess_dir("gateway")


def on_starting(server):
    from gateway import http_errors

    http_errors.install()  # before the workers are forked: they inherit it
    httpmetrics.on_starting(server)


def when_ready(server):
    host = os.environ.get("GATEWAY_METRICS_HOST") or os.environ.get("GATEWAY_HOST", "0.0.0.0")
    httpmetrics.when_ready(server, metrics_port, host)


def child_exit(server, worker):
    httpmetrics.child_exit(server, worker)


def post_worker_init(worker):
    # What the worker's start-up made (the app, its modules, the schemas) frozen out of the collector's full walks.
    heap.settle_unless_off(f"gateway worker {worker.pid}", os.environ.get("GC_FREEZE_ON_START"))
