"""Alembic plumbing shared by every service's ``migrations/env.py``.

python -m svclib.migrate identity   # apply one service's migrations now
"""

from __future__ import annotations

import importlib
from pathlib import Path

from sqlalchemy import MetaData

from svclib import settings
from svclib.db import make_engine, migrate, plumbing_tables


def run_env(target_metadata: MetaData, service: str) -> None:
    """Body of a service's ``env.py``: online migrations on the given connection."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(context, connection, target_metadata)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or settings.database_url(service))
    with engine.begin() as connection:
        _run(context, connection, target_metadata)
    engine.dispose()


def _run(context, connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def create_plumbing_tables(bind) -> None:
    """The outbox and processed-events tables, for a service's first migration."""
    metadata = MetaData()
    plumbing_tables(metadata)
    metadata.create_all(bind)


def migrations_dir(service: str) -> Path:
    """``services/<service>/migrations``, next to the service's package."""
    package = importlib.import_module(service)
    return Path(package.__file__).resolve().parent.parent / "migrations"


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Apply a service's migrations up to head.")
    parser.add_argument("service")
    args = parser.parse_args(argv)
    engine = make_engine(settings.database_url(args.service))
    migrate(engine, migrations_dir(args.service))
    engine.dispose()
    print(f"{args.service}: migrations applied")
    return 0
