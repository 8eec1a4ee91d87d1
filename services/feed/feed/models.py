from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from svclib.db import Timestamps, UTCDateTime, plumbing_tables
from svclib.users import known_users_table


class Base(Timestamps, DeclarativeBase):
    pass


OUTBOX, PROCESSED_EVENTS = plumbing_tables(Base.metadata)
KNOWN_USERS = known_users_table(Base.metadata)
# Identity announces accounts: {"user": {"id", "username", ...}}.


# Rows a feed may list (PostgreSQL's partial indexes; SQLite keeps its plain ones).
SHOWN = {"postgresql_where": text("visible IS true")}


class FeedPost(Base):
    """A post as the feeds see it: its facts and its precomputed scores."""

    __tablename__ = "feed_posts"
    __table_args__ = (
        Index("ix_feed_posts_rank", "rank", "id"),
        # The quality sort's walks of a home feed's sources read their keys from these alone (an index-only
        # scan, feed.pages.home.COVERED_SORTS): visible posts only, with the column each walk's filter reads.
        Index("ix_feed_posts_subwiki_rank", "subwiki_id", "rank", "id", **SHOWN, postgresql_include=["author_id"]),
        Index("ix_feed_posts_subwiki_created", "subwiki_id", "posted_at", "id"),
        Index("ix_feed_posts_author_created", "author_id", "posted_at", "id"),
        Index("ix_feed_posts_author_rank", "author_id", "rank", "id", **SHOWN, postgresql_include=["subwiki_id"]),
        # The home feed walks each source (subwiki, followed author) by every sort: rank, date, approval.
        Index("ix_feed_posts_subwiki_approval", "subwiki_id", "approval", "id"),
        Index("ix_feed_posts_author_approval", "author_id", "approval", "id"),
        Index("ix_feed_posts_posted", "posted_at", "id"),
        Index("ix_feed_posts_refresh_due", "refresh_due"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subwiki_id: Mapped[str] = mapped_column(String(32))
    subwiki_slug: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None once erased
    # Names shown with the post, kept from identity's and communities' events: a page needs no joins.
    author_username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    author_display_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    subwiki_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The author has fewer than NEW_CREATOR_POSTS live posts: eligible for the new-creator slot.
    small_author: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    image_file: Mapped[str | None] = mapped_column(String(64), nullable=True)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    visible: Mapped[bool] = mapped_column(Boolean, default=True)
    up_weight: Mapped[float] = mapped_column(Float, default=0.0)
    down_weight: Mapped[float] = mapped_column(Float, default=0.0)
    up_count: Mapped[int] = mapped_column(Integer, default=0)
    down_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    commenters: Mapped[int] = mapped_column(Integer, default=0)
    editors: Mapped[int] = mapped_column(Integer, default=0)
    penalty: Mapped[float] = mapped_column(Float, default=0.0)
    approval: Mapped[float] = mapped_column(Float, default=0.0)
    quality: Mapped[float] = mapped_column(Float, default=0.0)
    rank: Mapped[float] = mapped_column(Float, default=0.0)
    # The version of the quality last announced (post_quality_changed), for its consumers' order.
    quality_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the age decay will have moved the rank enough to rescore it (ranking.refresh_after_hours).
    refresh_due: Mapped[datetime] = mapped_column(UTCDateTime())


class FeedVote(Base):
    __tablename__ = "feed_votes"
    # A trust change reads its person's votes by voter (feed.handlers.votes.trust_changed).
    __table_args__ = (Index("ix_feed_votes_voter", "voter_id"),)

    post_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    voter_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float)


class FeedComment(Base):
    __tablename__ = "feed_comments"
    __table_args__ = (Index("ix_feed_comments_post", "post_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None once erased
    substantive: Mapped[bool] = mapped_column(Boolean)
    visible: Mapped[bool] = mapped_column(Boolean, default=True)


class FeedEdit(Base):
    """How many of an editor's edits to a post still stand."""

    __tablename__ = "feed_edits"

    post_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    editor_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    standing: Mapped[int] = mapped_column(Integer, default=0)


class FeedMembership(Base):
    __tablename__ = "feed_memberships"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subwiki_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class FeedFollow(Base):
    __tablename__ = "feed_follows"

    follower_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    followee_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class FeedMute(Base):
    """What a reader does not want in their home feed, front page and notifications, kept from identity's
    events: a person (``kind`` "user"), a subwiki ("subwiki") or a person blocked ("block", muted too)."""

    __tablename__ = "feed_mutes"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(32), primary_key=True)


# The kinds of FeedMute that keep a person's posts away.
MUTED_PEOPLE = ("user", "block")


class FeedTrust(Base):
    __tablename__ = "feed_trust"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trust: Mapped[float] = mapped_column(Float)
    # When identity computed the value held: an older change arriving late is not applied.
    as_of: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Identity's version of the value held (a sequence per person): an older one is not applied.
    version: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class FeedAuthor(Base):
    """How many live posts each author has: small creators get a slot on every page."""

    __tablename__ = "feed_authors"
    __table_args__ = (Index("ix_feed_authors_posts", "posts"),)

    author_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    posts: Mapped[int] = mapped_column(Integer, default=0)


class FeedPerson(Base):
    """Names the feed shows for authors, kept from identity's events (the newest ``version`` stays)."""

    __tablename__ = "feed_people"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(80))
    # Identity's profile_version of the names held (0: held from an event without one).
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class FeedSubwiki(Base):
    """Names the feed shows for subwikis, kept from communities' events (the newest ``revision`` stays)."""

    __tablename__ = "feed_subwikis"
    __table_args__ = (Index("ix_feed_subwikis_slug", "slug"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    slug: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    # Communities' revision of the subwiki held (0: held from an event without one).
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


class FeedVersion(Base):
    """The newest version applied of each key a state event is about (a vote, a membership, a follow)."""

    __tablename__ = "feed_versions"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class FeedQualityDue(Base):
    """A post whose new quality waits to be announced: marked by the transaction that changed it (which gave
    the quality its next version, under the post's lock), taken by the next announcement
    (``feed.handlers.scores.announce_due``), so that a moment's votes and comments on posts leave in one message,
    not one each. ``marks``: how many transactions marked it since (each one's mark locks the row until it
    commits, so that an announcement never takes a mark whose change it cannot read yet). Not part of the read
    model a rebuild replaces: a quality marked before a rebuild is still announced after it."""

    __tablename__ = "feed_quality_due"

    post_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    marks: Mapped[int] = mapped_column(Integer, default=1)


# Every table the feed keeps from events, children first (what feed.rebuild replaces).
READ_MODEL = (
    FeedVersion,
    FeedVote,
    FeedComment,
    FeedEdit,
    FeedMembership,
    FeedFollow,
    FeedMute,
    FeedTrust,
    FeedAuthor,
    FeedPost,
    FeedPerson,
    FeedSubwiki,
)

# The notifications' tables live in the same database and metadata.
from feed.notifications import models as _notifications  # noqa: E402, F401
