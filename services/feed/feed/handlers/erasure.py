"""An erased person in the feed's read model, and what the model keeps about a person (their export)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update

from feed.handlers.posts import recount_commenters, recount_editors
from feed.handlers.scores import rescore
from feed.handlers.votes import tally
from feed.models import (
    MUTED_PEOPLE,
    OUTBOX,
    FeedAuthor,
    FeedComment,
    FeedEdit,
    FeedFollow,
    FeedMembership,
    FeedMute,
    FeedPerson,
    FeedPost,
    FeedSubwiki,
    FeedTrust,
    FeedVersion,
    FeedVote,
)
from svclib import users
from svclib.db import Transaction, utcnow


def author_erased(tx: Transaction, user_id: str, now: datetime | None = None) -> None:
    """An erased person: their posts leave the feeds with no author, their votes leave every tally,
    their comments stay counted with no author (no longer as a commenter), their edits no longer
    count as an editor's, and every row of theirs goes: nothing keeps their id.

    Locks in the feed's order: their trust row, their author row, then the posts touched, by id.
    """
    now = now or utcnow()
    trust = tx.session.scalar(select(FeedTrust).where(FeedTrust.user_id == user_id).with_for_update())
    tx.session.scalar(select(FeedAuthor).where(FeedAuthor.author_id == user_id).with_for_update())
    touched = or_(
        FeedPost.author_id == user_id,
        FeedPost.id.in_(select(FeedVote.post_id).where(FeedVote.voter_id == user_id)),
        FeedPost.id.in_(select(FeedComment.post_id).where(FeedComment.author_id == user_id)),
        FeedPost.id.in_(select(FeedEdit.post_id).where(FeedEdit.editor_id == user_id)),
    )
    posts = tx.session.scalars(select(FeedPost).where(touched).order_by(FeedPost.id).with_for_update()).all()
    for row in posts:
        vote = tx.session.get(FeedVote, (row.id, user_id))
        if vote is not None:
            tally(row, vote.value, vote.weight, -1)
            tx.session.delete(vote)
        if row.author_id == user_id:
            row.visible, row.author_id, row.author_username, row.author_display_name = False, None, None, None
    tx.session.execute(update(FeedComment).where(FeedComment.author_id == user_id).values(author_id=None))
    tx.session.execute(delete(FeedEdit).where(FeedEdit.editor_id == user_id))
    for row in posts:
        recount_commenters(tx, row)
        recount_editors(tx, row)
        rescore(row, now)
    # Their votes on posts the feed does not hold yet (kept until the post comes) go too.
    tx.session.execute(delete(FeedVote).where(FeedVote.voter_id == user_id))
    if trust is not None:
        tx.session.delete(trust)
    tx.session.execute(delete(FeedAuthor).where(FeedAuthor.author_id == user_id))
    tx.session.execute(delete(FeedPerson).where(FeedPerson.id == user_id))
    tx.session.execute(
        delete(FeedFollow).where(or_(FeedFollow.follower_id == user_id, FeedFollow.followee_id == user_id))
    )
    tx.session.execute(delete(FeedMembership).where(FeedMembership.user_id == user_id))
    tx.session.execute(
        delete(FeedMute).where(
            or_(FeedMute.user_id == user_id, (FeedMute.target_id == user_id) & FeedMute.kind.in_(MUTED_PEOPLE))
        )
    )
    tx.session.execute(delete(FeedVersion).where(FeedVersion.key.contains(user_id, autoescape=True)))
    users.forget(tx, user_id, outbox=OUTBOX)


def kept_about(tx: Transaction, user_id: str) -> dict:
    """What the feed keeps about a person, for their export: whom they follow, which subwikis'
    posts their home feed holds, their trust as the feed weighs their votes, their votes, and whom and
    what they muted or blocked (by id: the feed keeps no more)."""
    session = tx.session
    follows = session.scalars(select(FeedFollow.followee_id).where(FeedFollow.follower_id == user_id)).all()
    names = dict(session.execute(select(FeedPerson.id, FeedPerson.username).where(FeedPerson.id.in_(follows))).all())
    subwikis = session.scalars(
        select(FeedSubwiki.slug)
        .join(FeedMembership, FeedMembership.subwiki_id == FeedSubwiki.id)
        .where(FeedMembership.user_id == user_id)
        .order_by(FeedSubwiki.slug)
    ).all()
    trust = session.get(FeedTrust, user_id)
    votes = session.execute(
        select(FeedVote.post_id, FeedVote.value, FeedVote.weight).where(FeedVote.voter_id == user_id)
    ).all()
    mutes = session.execute(
        select(FeedMute.kind, FeedMute.target_id).where(FeedMute.user_id == user_id).order_by(FeedMute.kind)
    ).all()
    return {
        "mutes": [{"kind": m.kind, "target_id": m.target_id} for m in mutes],
        "following": sorted(names.get(i, i) for i in follows),
        "subwikis": list(subwikis),
        "trust": trust.trust if trust is not None else None,
        "votes": [{"post_id": v.post_id, "value": v.value, "weight": v.weight} for v in votes],
    }
