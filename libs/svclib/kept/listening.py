"""``KeptAnswers``: a service's kept answers, dropped whenever the database behind them changes, in
this process at once and in every other when PostgreSQL delivers the commit's notification."""

from __future__ import annotations

import logging

import eventlet
from nameko.extensions import DependencyProvider

from svclib import metrics
from svclib.db import Database, configured_url, normalise_url
from svclib.db.transaction import touched_tags
from svclib.kept.store import Kept

log = logging.getLogger(__name__)


class KeptAnswers(DependencyProvider):
    """Gives workers the process's ``Kept`` answers, dropped whenever the database behind them changes.

    ``database`` names the service's :class:`~svclib.db.Database` dependency (its attribute,
    e.g. ``"db"``), which announces every commit on its ``changes_channel``. This process
    listens on that channel, so it forgets its answers whichever replica committed, and
    forgets them the moment one of its own transactions commits, before the notification
    comes back. ``settings`` prefixes the names of its two configuration keys: ``<settings>_ENTRIES``,
    the number of answers kept (``entries`` when not set), and ``<settings>_SECONDS``, the longest one
    is kept (``seconds``).
    """

    RETRY_SECONDS = 1.0

    def __init__(self, database: str, settings: str, entries: int, seconds: float):
        self.database = database
        self.entries_setting = f"{settings}_ENTRIES"
        self.seconds_setting = f"{settings}_SECONDS"
        self.default_entries = entries
        self.default_seconds = seconds

    def setup(self) -> None:
        config = self.container.config
        self.kept = Kept(
            int(config.get(self.entries_setting, self.default_entries)),
            float(config.get(self.seconds_setting, self.default_seconds)),
        )
        database = next(d for d in self.container.dependencies if d.attr_name == self.database)
        if not isinstance(database, Database) or not database.changes_channel:
            raise TypeError(f"{self.database} must be a Database that announces its changes (changes_channel)")
        self.channel = database.changes_channel
        database.on_commit(self.kept.forget)
        url = normalise_url(configured_url(self.container))
        self._dsn = url.replace("postgresql+psycopg://", "postgresql://") if url.startswith("postgresql") else None
        self._running = False
        self._connection = None
        self.service, self.name = self.container.service_name, self.attr_name
        metrics.serve_from(config)

    def start(self) -> None:
        metrics.register("kept", self)
        # A background process (svclib.roles) answers no request: it keeps nothing, and needs no connection
        # to hear what changed (without one, nothing is kept: an answer read there is read afresh).
        if self._dsn is not None and getattr(self.container, "role", None) != "background":
            self._running = True
            self.container.spawn_managed_thread(self._listen)

    def _listen(self) -> None:
        # Imported here, after svclib.db has chosen psycopg's eventlet-friendly wait function.
        import psycopg

        while self._running:
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as connection:
                    self._connection = connection
                    connection.execute(f"LISTEN {self.channel}")
                    # Anything may have changed while no one listened.
                    self.kept.forget()
                    self.kept.listening = True
                    while self._running:
                        for notification in connection.notifies(timeout=5.0):
                            self.kept.forget(touched_tags(notification.payload))
            except Exception as exc:  # the connection broke: keep nothing until listening again
                if self._running:
                    log.warning("kept answers: not listening on %s (%s); retrying", self.channel, exc)
            finally:
                self.kept.listening = False
                self.kept.forget()
                self._connection = None
            if self._running:
                eventlet.sleep(self.RETRY_SECONDS)

    def stop(self) -> None:
        metrics.unregister(self)
        self._running = False
        self.kept.listening = False
        connection = self._connection
        if connection is not None:
            try:
                connection.cancel_safe()
            except Exception:  # already closed
                log.debug("listening connection already gone")

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> Kept:
        return self.kept
