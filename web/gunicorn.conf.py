"""gunicorn settings for the site; every one can be overridden from the environment."""

import multiprocessing
import os
import secrets

from web import observability

bind = f"{os.environ.get('WEB_HOST', '0.0.0.0')}:{os.environ.get('WEB_PORT', '8080')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", min(4, max(2, multiprocessing.cpu_count()))))
threads = int(os.environ.get("WEB_THREADS", 8))
timeout = int(os.environ.get("WEB_TIMEOUT", 30))
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
errorlog = "-"
# JSON lines (time, level, service, request id, trace id), or text with LOG_FORMAT=text (web.observability).
logconfig_dict = observability.gunicorn_logging(access=accesslog)
logger_class = observability.gunicorn_logger()
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Sessions are signed cookies: every worker must share the key. Set WEB_SECRET_KEY in production
# (a key made here lasts as long as this server, so a restart signs everyone out).
if not os.environ.get("WEB_SECRET_KEY"):
    os.environ["WEB_SECRET_KEY"] = secrets.token_hex(32)

# Prometheus metrics, aggregated across workers, on a port of their own (never the public one).
metrics_port = int(os.environ.get("WEB_METRICS_PORT", "9103"))
observability.ensure_metrics_dir()


def on_starting(server):
    observability.clear_metrics_dir()


def when_ready(server):
    host = os.environ.get("WEB_METRICS_HOST") or os.environ.get("WEB_HOST", "0.0.0.0")
    observability.serve_metrics(server, metrics_port, host)


def child_exit(server, worker):
    observability.forget_worker(worker.pid)
