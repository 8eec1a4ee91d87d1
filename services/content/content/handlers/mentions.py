"""``@username`` in posts and comments: linked to the profile when the person exists, and named in
the text's events (by id) so that the feed notifies them, once per text, at most
``markup.MENTION_LIMIT`` people per text."""

from __future__ import annotations

from sqlalchemy import select

from content import markup
from content.handlers import replicas
from content.models import KNOWN_USERS
from svclib.db import Transaction


def people(tx: Transaction, usernames: list[str]) -> dict[str, str]:
    """The ids of the registered, not erased, people among ``usernames`` (lower case), by username."""
    if not usernames:
        return {}
    rows = tx.session.execute(
        select(KNOWN_USERS.c.username, KNOWN_USERS.c.id).where(
            KNOWN_USERS.c.username.in_(usernames), KNOWN_USERS.c.erased_at.is_(None)
        )
    ).all()
    return {row.username: row.id for row in rows}


def render(tx: Transaction, body: str, author_id: str) -> tuple[str, list[str]]:
    """``body`` as safe HTML with its mentions linked, and the ids of the people it mentions (not its author).

    Someone who blocked the author is not linked nor notified: to this text they are nobody."""
    found: dict[str, str] = {}

    def known(names: list[str]) -> set[str]:
        named = people(tx, names)
        blockers = replicas.blockers_among(tx, list(named.values()), author_id)
        found.update({name: person for name, person in named.items() if person not in blockers})
        return set(found)

    html, mentioned = markup.render_with_mentions(body, known)
    return html, [found[name] for name in mentioned if found[name] != author_id]
