"""Answers kept in memory per process, dropped the moment the data behind them changes.

Every transaction of the database the answers are read from sends ``NOTIFY <channel>``
(``Database(changes_channel=...)``, through ``Transaction.notify``; PostgreSQL delivers it when,
and only if, the transaction commits). Each process listens on its own connection and forgets
the answers a notification names when it arrives, so all replicas drop theirs whichever replica
made the change. A notification names tags (``Database(touches=...)`` records which tags a
transaction's changes touch: the feed's, say, a subwiki's or an author's posts), or, empty,
everything; an answer is kept with the tags of what it was read from, and dropped by a change
that touches any of them. An answer is kept only if no change touching it arrived while it was
being read, and for a bounded time. While the listening connection is down nothing is kept; on
SQLite, with one process and no notifications, nothing is kept either. Hits, shared reads and
misses are counted (``svc_kept_answers``, ``svclib.metrics``).

A kept answer is also encoded once: :func:`encoded` gives an RPC's reply (``svclib.rpc``) the
JSON text of an answer while it is kept, so a page asked for again is not encoded again. Kept
answers are shared by every worker that asks for them and never changed in place.

Its modules: ``store``, the answers themselves (``Kept``: tags, shared reads, encodings); ``listening``, the
dependency provider that gives a service's workers its process's answers and drops them on every change
(``KeptAnswers``).
"""

from svclib.kept.listening import KeptAnswers
from svclib.kept.store import Kept, TagIndex, encoded

__all__ = ["Kept", "KeptAnswers", "TagIndex", "encoded"]
