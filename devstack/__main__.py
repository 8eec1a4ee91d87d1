"""``python -m devstack run``: the whole platform on this machine, with demo data."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
from pathlib import Path

from devstack import infra, seed
from devstack.stack import ROOT, Stack


def database_settings(use_sqlite: bool) -> dict[str, str]:
    """Each service's database URL: PostgreSQL where it can be had, else SQLite files."""
    given = {
        f"{s.upper()}_DATABASE_URL": os.environ[f"{s.upper()}_DATABASE_URL"]
        for s in infra.SERVICES
        if os.environ.get(f"{s.upper()}_DATABASE_URL")
    }
    if len(given) == len(infra.SERVICES):
        return given
    server = None if use_sqlite else infra.find_postgres()
    if server is None:
        reason = "USE_SQLITE=1" if use_sqlite else "PostgreSQL is not available here"
        infra.log(f"{reason}: each service uses its embedded SQLite file under var/")
        return given
    urls = dict(given)
    for service in infra.SERVICES:
        key = f"{service.upper()}_DATABASE_URL"
        if key not in urls:
            name = f"wikisocial_{service}"
            if not server.exists(name):
                server.create(name)
            urls[key] = server.url(name)
    infra.log("PostgreSQL: one database per service (wikisocial_<service>)")
    return urls


def run(args: argparse.Namespace) -> int:
    broker = infra.find_broker()
    env = {
        "AMQP_URI": os.environ.get("AMQP_URI") or broker.uri("/"),
        "DATA_DIR": str(ROOT / "var"),
        "UPLOAD_DIR": str(ROOT / "var" / "uploads"),
        "PUBLIC_URL": f"http://127.0.0.1:{args.port}",
        "LOG_FORMAT": os.environ.get("LOG_FORMAT") or "text",  # for people reading along; JSON elsewhere
        **database_settings(args.sqlite),
    }
    stack = Stack(env, args.port, ROOT / "var" / "log", web_port=args.web_port)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        infra.log("declaring event queues, starting services")
        stack.start_all()
        created = seed.seed(stack.gateway_url)
        infra.log(f"demo data: {created}")
        stack.start_web(WEB_SECRET_KEY=web_secret())
        stack.wait_web()
        print(
            f"\n  Site:    {stack.web_url}/"
            f"\n  Gateway: {stack.gateway_url}/api/v1   (health {stack.gateway_url}/readyz)"
            f"\n  API docs: {stack.gateway_url}/api/v1/docs   (OpenAPI {stack.gateway_url}/api/v1/openapi.json)"
            f"\n  Logs:    {stack.log_dir}"
            f"\n  Metrics: {', '.join(f'{n} :{p}' for n, p in stack.metrics_ports.items())} (/metrics)"
            "\n  A process that exits is started again. Ctrl-C stops everything.\n",
            flush=True,
        )
        stack.watch()
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)
        infra.log("stopping")
        stack.stop_all()
        infra.log("stopped")


def web_secret() -> str:
    """The site's session key, kept in var/ so that restarting `make run` keeps people signed in."""
    if os.environ.get("WEB_SECRET_KEY"):
        return os.environ["WEB_SECRET_KEY"]
    path = ROOT / "var" / "web-secret-key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="start everything in the foreground")
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8000")))
    run_parser.add_argument("--web-port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    run_parser.add_argument("--sqlite", action="store_true", default=os.environ.get("USE_SQLITE") == "1")
    sub.add_parser("servers", help="make sure RabbitMQ and PostgreSQL are reachable (install/start them)")
    args = parser.parse_args()
    Path(ROOT / "var").mkdir(exist_ok=True)
    if args.command == "servers":
        return servers()
    return run(args)


def servers() -> int:
    broker = infra.find_broker()
    infra.raise_local_open_file_limit(broker)
    infra.log(f"RabbitMQ: {broker.host}:{broker.port} (management {broker.management_url})")
    if dropped := broker.drop_abandoned():
        infra.log(f"dropped {len(dropped)} vhosts left by runs that ended without cleaning up")
    postgres = infra.find_postgres()
    infra.log(f"PostgreSQL: {'reachable' if postgres else 'not available: services fall back to SQLite'}")
    if postgres is not None and (dropped := postgres.drop_abandoned()):
        infra.log(f"dropped {len(dropped)} databases left by runs that ended without cleaning up")
    for server in (broker, postgres):
        if server is not None and server.container is not None:
            server.container.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
