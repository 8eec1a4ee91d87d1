"""The feed's read model, kept from events, and the pages read from it.

Writes (events) update a post's facts and recompute its scores at once; a timer
refreshes the age decay of recent posts in batches. Reads never compute scores
and never scan all posts: every page is an indexed range scan from a cursor.
"""

from __future__ import annotations

import base64
import json
import statistics
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, tuple_, update

from feed import ranking
from feed.exceptions import Invalid
from feed.models import (
    FeedAuthor,
    FeedComment,
    FeedEdit,
    FeedFollow,
    FeedMembership,
    FeedPerson,
    FeedPost,
    FeedSubwiki,
    FeedTrust,
    FeedVote,
)
from svclib.db import Transaction, isoformat
from svclib.pagination import DEFAULT_LIMIT, MAX_LIMIT

C = ranking.CONFIG
SORTS = ("quality", "new", "top")
WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7), "all": None}


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _hours(post: FeedPost, now: datetime) -> float:
    return max(0.0, (now - post.posted_at).total_seconds() / 3600)


def rescore(post: FeedPost, now: datetime) -> None:
    post.approval = ranking.approval(post.up_weight, post.down_weight)
    post.quality = ranking.quality(post.up_weight, post.down_weight, post.commenters, post.editors, post.penalty)
    post.rank = ranking.rank(post.quality, _hours(post, now))
    post.refreshed_at = now


def _post(tx: Transaction, post_id: str) -> FeedPost | None:
    """The post, locked: concurrent events about one post must not lose each other's updates."""
    return tx.session.scalar(select(FeedPost).where(FeedPost.id == post_id).with_for_update())


def _trust_row(tx: Transaction, user_id: str) -> FeedTrust:
    """A person's trust row, locked: a vote and a change of its voter's trust are applied one after the other."""
    row = tx.session.scalar(select(FeedTrust).where(FeedTrust.user_id == user_id).with_for_update())
    if row is None:
        row = FeedTrust(user_id=user_id, trust=0.1)
        tx.session.add(row)
        tx.session.flush()
    return row


# --- facts from events ----------------------------------------------------------


def post_created(tx: Transaction, post: dict, now: datetime) -> None:
    if _post(tx, post["id"]) is not None:
        return
    row = FeedPost(
        id=post["id"],
        subwiki_id=post["subwiki_id"],
        subwiki_slug=post["subwiki"],
        author_id=post["author_id"],
        kind=post["kind"],
        title=post["title"],
        url=post.get("url"),
        image_file=post.get("image_file"),
        posted_at=_parse_time(post["created_at"]),
        visible=True,
        up_weight=0.0,
        down_weight=0.0,
        up_count=0,
        down_count=0,
        comment_count=0,
        commenters=0,
        editors=0,
        penalty=0.0,
    )
    rescore(row, now)
    tx.session.add(row)
    _count_author(tx, row.author_id, +1)


def _count_author(tx: Transaction, author_id: str, delta: int) -> None:
    author = tx.session.get(FeedAuthor, author_id)
    if author is None:
        tx.session.add(FeedAuthor(author_id=author_id, posts=max(0, delta)))
    else:
        author.posts = max(0, author.posts + delta)


def post_edited(tx: Transaction, post: dict, now: datetime) -> None:
    row = _post(tx, post["id"])
    if row is None:
        return
    row.title, row.url = post.get("title", row.title), post.get("url", row.url)
    editor = post.get("editor_id")
    if editor and editor != row.author_id:
        edit = tx.session.get(FeedEdit, (row.id, editor))
        if edit is None:
            tx.session.add(FeedEdit(post_id=row.id, editor_id=editor, standing=1))
        else:
            edit.standing += 1
        _recount_editors(tx, row)
    rescore(row, now)


def post_reverted(tx: Transaction, post: dict, now: datetime) -> None:
    row = _post(tx, post["id"])
    if row is None:
        return
    row.title, row.url = post.get("title", row.title), post.get("url", row.url)
    for undone in post.get("reverted_edits", []):
        edit = tx.session.get(FeedEdit, (row.id, undone["editor_id"]))
        if edit is not None:
            edit.standing = max(0, edit.standing - 1)
    _recount_editors(tx, row)
    rescore(row, now)


def _recount_editors(tx: Transaction, row: FeedPost) -> None:
    tx.session.flush()
    row.editors = tx.session.scalar(
        select(func.count()).select_from(FeedEdit).where(FeedEdit.post_id == row.id, FeedEdit.standing > 0)
    )


def post_removed(tx: Transaction, post: dict) -> None:
    row = _post(tx, post["id"])
    if row is not None and row.visible:
        row.visible = False
        _count_author(tx, row.author_id, -1)


def author_erased(tx: Transaction, user_id: str) -> None:
    person_changed(tx, {"id": user_id, "username": "deleted", "display_name": "Deleted account"})
    tx.session.execute(update(FeedPost).where(FeedPost.author_id == user_id).values(visible=False))
    tx.session.execute(
        delete(FeedFollow).where(or_(FeedFollow.follower_id == user_id, FeedFollow.followee_id == user_id))
    )
    tx.session.execute(delete(FeedMembership).where(FeedMembership.user_id == user_id))


def comment_changed(tx: Transaction, comment: dict, visible: bool, now: datetime) -> None:
    row = _post(tx, comment["post_id"])
    if row is None:
        return
    existing = tx.session.get(FeedComment, comment["id"])
    if existing is None:
        if not visible:
            return
        substantive = comment.get("length", 0) >= C.SUBSTANTIVE_LENGTH and comment["author_id"] != row.author_id
        tx.session.add(
            FeedComment(
                id=comment["id"], post_id=row.id, author_id=comment["author_id"], substantive=substantive, visible=True
            )
        )
    else:
        existing.visible = visible
    tx.session.flush()
    row.commenters = tx.session.scalar(
        select(func.count(func.distinct(FeedComment.author_id))).where(
            FeedComment.post_id == row.id, FeedComment.substantive.is_(True), FeedComment.visible.is_(True)
        )
    )
    row.comment_count = tx.session.scalar(
        select(func.count())
        .select_from(FeedComment)
        .where(FeedComment.post_id == row.id, FeedComment.visible.is_(True))
    )
    rescore(row, now)


def vote_changed(tx: Transaction, vote: dict, now: datetime) -> None:
    if vote["target_type"] != "post":
        return
    row = _post(tx, vote["target_id"])
    if row is None:
        return
    existing = tx.session.get(FeedVote, (row.id, vote["voter_id"]))
    if existing is not None:
        if existing.value > 0:
            row.up_weight -= existing.weight
            row.up_count -= 1
        else:
            row.down_weight -= existing.weight
            row.down_count -= 1
        tx.session.delete(existing)
        tx.session.flush()
    if vote.get("value") in (1, -1):
        weight = ranking.vote_weight(_trust_row(tx, vote["voter_id"]).trust)
        tx.session.add(FeedVote(post_id=row.id, voter_id=vote["voter_id"], value=vote["value"], weight=weight))
        if vote["value"] > 0:
            row.up_weight += weight
            row.up_count += 1
        else:
            row.down_weight += weight
            row.down_count += 1
    row.up_weight, row.down_weight = max(0.0, row.up_weight), max(0.0, row.down_weight)
    rescore(row, now)


def report_resolved(tx: Transaction, report: dict, now: datetime) -> None:
    if report.get("action") != "uphold" or report.get("target_type") != "post":
        return
    row = _post(tx, report["target_id"])
    if row is not None:
        row.penalty += C.PENALTY_PER_UPHELD_REPORT
        rescore(row, now)


def person_changed(tx: Transaction, user: dict) -> None:
    """An author's name as the feed shows it (registered, renamed or erased)."""
    person = tx.session.get(FeedPerson, user["id"])
    if person is None:
        tx.session.add(
            FeedPerson(
                id=user["id"], username=user["username"], display_name=user.get("display_name") or user["username"]
            )
        )
    else:
        person.username = user.get("username", person.username)
        person.display_name = user.get("display_name") or person.display_name


def subwiki_named(tx: Transaction, subwiki: dict) -> None:
    row = tx.session.get(FeedSubwiki, subwiki["id"])
    if row is None:
        tx.session.add(FeedSubwiki(id=subwiki["id"], slug=subwiki["slug"], name=subwiki["name"]))
    else:
        row.slug, row.name = subwiki["slug"], subwiki["name"]


def membership_changed(tx: Transaction, membership: dict, joined: bool) -> None:
    key = (membership["user_id"], membership["subwiki_id"])
    existing = tx.session.get(FeedMembership, key)
    if joined and existing is None:
        tx.session.add(FeedMembership(user_id=key[0], subwiki_id=key[1]))
    elif not joined and existing is not None:
        tx.session.delete(existing)


def follow_changed(tx: Transaction, follow: dict, following: bool) -> None:
    key = (follow["follower_id"], follow["followee_id"])
    existing = tx.session.get(FeedFollow, key)
    if following and existing is None:
        tx.session.add(FeedFollow(follower_id=key[0], followee_id=key[1]))
    elif not following and existing is not None:
        tx.session.delete(existing)


def trust_changed(tx: Transaction, user_id: str, trust: float, now: datetime) -> None:
    """Every vote of this person is reweighed, so that a post's score follows its voters' current trust."""
    _trust_row(tx, user_id).trust = trust
    weight = ranking.vote_weight(trust)
    votes = select(FeedVote).where(FeedVote.voter_id == user_id).order_by(FeedVote.post_id)
    for vote in tx.session.scalars(votes).all():
        post = _post(tx, vote.post_id)
        if post is None or vote.weight == weight:
            continue
        if vote.value > 0:
            post.up_weight = max(0.0, post.up_weight - vote.weight + weight)
        else:
            post.down_weight = max(0.0, post.down_weight - vote.weight + weight)
        vote.weight = weight
        rescore(post, now)


def rescore_all(tx: Transaction, now: datetime) -> None:
    for row in tx.session.scalars(select(FeedPost)).all():
        rescore(row, now)


def refresh_decay(tx: Transaction, now: datetime, batch: int = 500) -> int:
    """Recompute the age decay of recent posts not refreshed lately, one batch at a time."""
    stale = now - timedelta(minutes=C.REFRESH_AFTER_MINUTES)
    recent = now - timedelta(days=C.REFRESH_WINDOW_DAYS + 1)
    rows = tx.session.scalars(
        select(FeedPost)
        .where(FeedPost.refreshed_at < stale, FeedPost.posted_at > recent, FeedPost.visible.is_(True))
        .order_by(FeedPost.refreshed_at)
        .limit(batch)
    ).all()
    for row in rows:
        rescore(row, now)
    return len(rows)


# --- pages ------------------------------------------------------------------------


def _encode(cursor: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(cursor, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> dict:
    if not cursor:
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        if not isinstance(data, dict) or not isinstance(data.get("k"), list) or len(data["k"]) != 2:
            raise ValueError("wrong shape")
        return data
    except (ValueError, TypeError):
        raise Invalid("The cursor is not valid.", fields={"cursor": ["Not a cursor from this feed."]}) from None


def _order(sort: str):
    if sort == "new":
        return FeedPost.posted_at, lambda row: row.posted_at.isoformat(), _parse_time
    if sort == "top":
        return FeedPost.approval, lambda row: row.approval, float
    return FeedPost.rank, lambda row: row.rank, float


GONE = {"username": "deleted", "display_name": "Deleted account"}


def item(row: FeedPost, now: datetime, people: dict, subwikis: dict, promoted: bool = False) -> dict:
    """A feed entry: the post as shown, and the reasons for its place."""
    factors = ranking.reasons(
        row.up_weight, row.down_weight, row.commenters, row.editors, row.penalty, _hours(row, now)
    )
    if promoted:
        factors.append({"factor": "new_creator_slot", "value": 1})
    person = people.get(row.author_id)
    subwiki = subwikis.get(row.subwiki_id)
    return {
        "post_id": row.id,
        "author_id": row.author_id,
        "subwiki": row.subwiki_slug,
        "title": row.title,
        "kind": row.kind,
        "posted_at": isoformat(row.posted_at),
        "post": {
            "id": row.id,
            "kind": row.kind,
            "title": row.title,
            "url": row.url,
            "image_url": f"/api/v1/uploads/{row.image_file}" if row.image_file else None,
            "author": {
                "id": row.author_id,
                **({"username": person.username, "display_name": person.display_name} if person else GONE),
            },
            "subwiki": {"slug": row.subwiki_slug, "name": subwiki.name if subwiki else row.subwiki_slug},
            "created_at": isoformat(row.posted_at),
            "comment_count": row.comment_count,
            "score": {"up": row.up_count, "down": row.down_count, "quality": round(row.quality, 6)},
        },
        "rank": {"score": round(row.rank, 6), "reasons": factors},
    }


def _items(tx: Transaction, rows: list[FeedPost], now: datetime, promoted: FeedPost | None) -> list[dict]:
    """Entries for a page, names resolved with one query each for authors and subwikis."""
    shown = rows if promoted is None else [*rows[:-1], promoted]
    people = {
        p.id: p for p in tx.session.scalars(select(FeedPerson).where(FeedPerson.id.in_({r.author_id for r in shown})))
    }
    subwikis = {
        w.id: w
        for w in tx.session.scalars(select(FeedSubwiki).where(FeedSubwiki.id.in_({r.subwiki_id for r in shown})))
    }
    return [item(row, now, people, subwikis, promoted=row is promoted) for row in shown]


def _scan(tx: Transaction, base, column, parse, after: list | None, batch: int):
    """Rows in feed order from just after ``after``, fetched a batch at a time."""
    while True:
        query = base
        if after is not None:
            value, last_id = parse(after[0]) if isinstance(after[0], str) else after[0], after[1]
            # A row comparison, which PostgreSQL answers from the (column, id) index without scanning ahead.
            query = query.where(tuple_(column, FeedPost.id) < tuple_(value, last_id))
        rows = tx.session.scalars(query.order_by(column.desc(), FeedPost.id.desc()).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        after = [getattr(rows[-1], column.key), rows[-1].id]


def page(
    tx: Transaction,
    conditions: list,
    sort: str,
    limit: int | None,
    cursor: str | None,
    now: datetime,
    per_subwiki: int | None = None,
) -> dict:
    """One page of a feed: a keyset range scan, author and subwiki caps, one new-creator slot.

    Posts passed over by a cap stay passed over: the next page starts after the last post examined.
    """
    if sort not in SORTS:
        raise Invalid("Unknown sort.", fields={"sort": [f"Use one of {', '.join(SORTS)}."]})
    size = DEFAULT_LIMIT if limit is None else limit
    if not isinstance(size, int) or not 1 <= size <= MAX_LIMIT:
        raise Invalid("The limit is out of range.", fields={"limit": [f"Use 1 to {MAX_LIMIT}."]})
    column, key_of, parse = _order(sort)
    state = _decode(cursor)
    shown = set(state.get("s", []))
    per_author = C.PER_AUTHOR if sort != "new" else None
    per_subwiki = per_subwiki if sort != "new" else None
    base = select(FeedPost).where(FeedPost.visible.is_(True), *conditions)
    chosen: list[FeedPost] = []
    authors: dict[str, int] = {}
    subwikis: dict[str, int] = {}
    last, more = None, False
    for row in _scan(tx, base, column, parse, state.get("k"), size + 10):
        if len(chosen) == size:
            more = True
            break
        last = row
        if row.id in shown or (per_author and authors.get(row.author_id, 0) >= per_author):
            continue
        if per_subwiki and subwikis.get(row.subwiki_id, 0) >= per_subwiki:
            continue
        chosen.append(row)
        authors[row.author_id] = authors.get(row.author_id, 0) + 1
        subwikis[row.subwiki_id] = subwikis.get(row.subwiki_id, 0) + 1
    promoted = _new_creator(tx, base, chosen, shown, column) if sort == "quality" and chosen else None
    if promoted is not None:
        shown.add(promoted.id)
    items = _items(tx, chosen, now, promoted)
    next_cursor = _encode({"k": [key_of(last), last.id], "s": sorted(shown)[-50:]}) if more else None
    return {"items": items, "next_cursor": next_cursor}


def _new_creator(tx: Transaction, base, chosen: list[FeedPost], shown: set[str], column) -> FeedPost | None:
    """The best post not yet shown by an author with few posts whose approval is above the page median;
    None when the page already holds one."""
    median = statistics.median(row.approval for row in chosen)
    small = select(FeedAuthor.author_id).where(FeedAuthor.posts < C.NEW_CREATOR_POSTS)
    page_authors = [row.author_id for row in chosen if row.approval > median]
    if page_authors and tx.session.scalar(
        select(func.count()).select_from(small.where(FeedAuthor.author_id.in_(page_authors)).subquery())
    ):
        return None
    on_page = {row.id for row in chosen} | shown
    return tx.session.scalars(
        base.where(FeedPost.approval > median, FeedPost.author_id.in_(small), FeedPost.id.notin_(on_page))
        .order_by(column.desc(), FeedPost.id.desc())
        .limit(1)
    ).first()


def public_feed(tx: Transaction, sort: str, window: str, limit: int | None, cursor: str | None, now: datetime) -> dict:
    if window not in WINDOWS:
        raise Invalid("Unknown window.", fields={"window": ["Use day, week or all."]})
    conditions = [FeedPost.posted_at > now - WINDOWS[window]] if WINDOWS[window] else []
    return page(tx, conditions, sort, limit, cursor, now)


def subwiki_feed(tx: Transaction, slug: str, sort: str, limit: int | None, cursor: str | None, now: datetime) -> dict:
    subwiki_id = tx.session.scalar(select(FeedPost.subwiki_id).where(FeedPost.subwiki_slug == slug.lower()).limit(1))
    if subwiki_id is None:
        return {"items": [], "next_cursor": None}
    return page(tx, [FeedPost.subwiki_id == subwiki_id], sort, limit, cursor, now)


def user_posts(tx: Transaction, author_id: str, limit: int | None, cursor: str | None, now: datetime) -> dict:
    return page(tx, [FeedPost.author_id == author_id], "new", limit, cursor, now)


def home_feed(tx: Transaction, user_id: str, sort: str, limit: int | None, cursor: str | None, now: datetime) -> dict:
    subwikis = select(FeedMembership.subwiki_id).where(FeedMembership.user_id == user_id)
    followees = select(FeedFollow.followee_id).where(FeedFollow.follower_id == user_id)
    condition = or_(FeedPost.subwiki_id.in_(subwikis), FeedPost.author_id.in_(followees))
    return page(tx, [condition], sort, limit, cursor, now, per_subwiki=C.PER_SUBWIKI_HOME)
