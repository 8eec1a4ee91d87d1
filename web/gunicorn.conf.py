"""gunicorn settings for the site; every one can be overridden from the environment."""

import gc
import multiprocessing
import os

from web import observability, secret_key

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

# Sessions are signed cookies: every worker and every replica must share the key, WEB_SECRET_KEY. It has
# no default: only in development mode (WIKISOCIAL_DEV_MODE=1) is one made for this server's life (a
# restart then signs everyone out). Without it the site does not start (web.secret_key).
if not os.environ.get("WEB_SECRET_KEY"):
    made = secret_key.for_development()
    if made is None:
        raise SystemExit(secret_key.MISSING)
    os.environ["WEB_SECRET_KEY"] = made

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


def post_worker_init(worker):
    """What the worker's start-up made (the app, its modules, the templates) frozen out of the garbage collector's
    full walks, which otherwise stop every thread of the worker for each of them (as the services do: svclib.heap,
    which the site, a client of the public API only, does not import)."""
    if os.environ.get("GC_FREEZE_ON_START", "true").lower() not in ("0", "false", "no", "off"):
        gc.collect()
        gc.freeze()
