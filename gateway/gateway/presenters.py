"""A post as the public API shows it, written once for every answer that holds one.

A post's parts live in three services: content holds what it says, identity who wrote it,
communities where, and the feed what was counted for it (votes, comments, quality). The
post page and the feed's items are both made here, from whichever parts the answer has.

A post's own page shows content's numbers (``post_page``): content counts a vote or a comment
in the transaction that makes it and keeps the feed's quality in the post's row, so a member
who votes or comments sees it on the post's page at once, and the page asks the feed nothing.
The feed counts the same votes and comments from content's events, moments later: its items,
and the posts ``posts`` shows (write answers), show its numbers where it holds the post.
"""

from __future__ import annotations

from gateway.people import author_named, named, unnamed
from gateway.rpc import Keeping, Known, ServiceUnavailable
from svclib.times import isoformat, parse_time

UPLOADS = "/api/v1/uploads/"
# What content alone knows of a post, shown on its own page and in write answers.
PAGE_FIELDS = ("body", "body_html", "revision", "edited_by_count", "protected")


def upload_url(filename: str | None) -> str | None:
    return f"{UPLOADS}{filename}" if filename else None


def _number(value: float) -> float:
    return round(float(value), 6) + 0.0  # one way to print a number: never -0.0


def score(scores: dict) -> dict:
    return {"up": scores["up"], "down": scores["down"], "quality": _number(scores["quality"])}


def post(facts: dict, author: dict | None, subwiki: dict, scores: dict) -> dict:
    """The post. ``facts``: content's post (its keys) with ``image_file``; ``scores``: up, down,
    comment_count and quality (content's on the post's own page, else the feed's when it holds the post)."""
    view = {
        "id": facts["id"],
        "kind": facts["kind"],
        "title": facts["title"],
        "url": facts.get("url"),
        "image_url": upload_url(facts.get("image_file")),
        "author": author,
        "subwiki": subwiki,
        "created_at": isoformat(parse_time(facts["created_at"])),
        "comment_count": scores["comment_count"],
        "score": score(scores),
    }
    view.update({key: facts[key] for key in PAGE_FIELDS if key in facts})
    if "language" in facts:  # content's posts (a feed entry has none)
        view["language"] = facts["language"]
    if "my_vote" in facts:
        view["my_vote"] = facts["my_vote"]
        view["can_moderate"] = facts.get("can_moderate", False)
    if "held_edits" in facts:  # a post's own page, for a signed-in reader
        view["held_edits"] = facts["held_edits"]
    return view


def feed_item(entry: dict) -> dict:
    """A feed entry (feed.pages.items.item): the post, and the reasons for its place."""
    facts = {"id": entry["post_id"], "created_at": entry["posted_at"], **entry}
    rank = {"score": _number(entry["rank"]["score"]), "reasons": entry["rank"]["reasons"]}
    return {"post": post(facts, _feed_author(entry), _feed_subwiki(entry), entry), "rank": rank}


def _feed_author(entry: dict) -> dict | None:
    """The author as the feed keeps it; None once erased (the feed forgot the name and the id)."""
    if entry["author_id"] and entry["author_username"] is not None:
        return {
            "id": entry["author_id"],
            "username": entry["author_username"],
            "display_name": entry["author_display_name"],
        }
    return None


def _feed_subwiki(entry: dict) -> dict:
    return {"slug": entry["subwiki"], "name": entry["subwiki_name"] or entry["subwiki"]}


def feed_page(page: dict) -> dict:
    return {"items": [feed_item(entry) for entry in page["items"]], "next_cursor": page["next_cursor"]}


def posts(services, found: list[dict], committed: bool = False) -> list[dict]:
    """Content's posts with their authors, subwikis and the feed's numbers: three calls at once,
    whatever the count.

    A post the feed does not hold yet (just written) shows content's own numbers. ``committed``:
    the posts are a write's answer, so without identity or communities they show ids and slugs,
    and without the feed content's numbers.
    """
    authors = {p["author_id"] for p in found if p["author_id"]}
    names_call = services.start("identity", "get_people", sorted(authors))
    try:
        subwikis_call = subwikis_of(services, found)
        scores_call = services.start("feed", "post_scores", [p["id"] for p in found])
        people, subwikis, counted = services.gather(names_call, subwikis_call, scores_call)
        names = named(people, authors)
    except ServiceUnavailable:
        if not committed:
            raise
        names, subwikis, counted = unnamed(authors), {}, {}
    return [shown(p, names, subwikis, counted) for p in found]


def post_page(services, found: dict) -> dict:
    """A post on its own page (``GET /posts/{id}``): its author named by content's answer (``author_names``) or,
    where content holds no names for them, by identity, at once with communities' summary of its subwiki; with
    content's own numbers (``_own_numbers``), the newest: no call to the feed."""
    author, held = found["author_id"], found.get("author_names")
    if author and not held:
        names_call = services.start("identity", "get_people", [author])
        people, subwikis = services.gather(names_call, subwikis_of(services, [found]))
    else:
        people, (subwikis,) = {}, services.gather(subwikis_of(services, [found]))
    return shown(found, author_named(author, held, people), subwikis)


def subwikis_of(services, found: list[dict]):
    """Communities' summaries of the subwikis of content's posts, to gather (``shown`` takes the answer): held
    by this process (``gateway.summaries``), or the call, started, whose answer it keeps."""
    return summaries_asked(services, sorted({p["subwiki"] for p in found}))


def summaries_of(services, slugs: list[str]) -> dict:
    """Communities' summaries of ``slugs`` by slug (a subwiki that does not exist left out), as ``subwikis_of``
    gets them."""
    (answer,) = services.gather(summaries_asked(services, slugs))
    return answer


def summaries_asked(services, slugs: list[str]):
    """``get_subwikis`` for ``slugs`` to gather: held by this process, or the call, started, whose answer it keeps."""
    summaries = services.summaries
    if summaries is None:
        return services.start("communities", "get_subwikis", slugs)
    held = summaries.held(slugs)
    if held is not None:
        return Known(held)
    keep = summaries.keeper(slugs)  # before the call: a change told while it is answered is not kept
    return Keeping(services.start("communities", "get_subwikis", slugs), keep)


def shown(found: dict, names: dict, subwikis: dict, counted: dict | None = None) -> dict:
    """One of content's posts as ``post`` shows it, from its author's name (``names``, by id), communities'
    summaries of subwikis and, for posts shown with the feed's numbers, the feed's ``post_scores``
    (``counted``); without them, or for a post the feed does not hold yet, content's own."""
    return post(
        found,
        names[found["author_id"]] if found["author_id"] else None,
        subwikis.get(found["subwiki"], {"slug": found["subwiki"]}),
        (counted or {}).get(found["id"]) or _own_numbers(found),
    )


def listed_posts(services, found: list[dict]) -> list[dict]:
    """Content's posts as a list shows them (search), each with its author's and subwiki's names and its
    numbers. Content answers them itself for the posts whose names it holds (kept from identity's and
    communities' events; its own counts of votes and comments, the feed's quality kept in the post's row):
    no other call. The others are named by the feed's read model, one call whatever their count, and the
    few the feed does not hold yet (just written) as ``posts`` shows them. A post's subwiki is its slug and
    name, as in the feed."""
    named = {p["id"]: _content_card(p) for p in found if _names_held(p)}
    unnamed = [p for p in found if p["id"] not in named]
    cards = services.call("feed", "post_cards", [p["id"] for p in unnamed]) if unnamed else {}
    cards.update(named)
    missing = [p for p in found if p["id"] not in cards]
    others = {p["id"]: shown for p, shown in zip(missing, posts(services, missing), strict=True)} if missing else {}
    listed = []
    for p in found:
        card = cards.get(p["id"])
        if card is None:
            shown = others[p["id"]]
            subwiki = shown["subwiki"]
            shown["subwiki"] = {"slug": subwiki["slug"], "name": subwiki.get("name") or subwiki["slug"]}
            listed.append(shown)
        else:
            listed.append(post(p, _feed_author(card), _feed_subwiki(card), card))
    return listed


def _names_held(found: dict) -> bool:
    """Whether content answered the names of a found post (its author's and its subwiki's)."""
    return found.get("subwiki_name") is not None and found.get("author_display_name") is not None


def _content_card(found: dict) -> dict:
    """A found post's card from content's answer, in the shape of the feed's ``post_cards``."""
    return {
        "author_id": found["author_id"],
        "author_username": found["author_username"],
        "author_display_name": found["author_display_name"],
        "subwiki": found["subwiki"],
        "subwiki_name": found["subwiki_name"],
        "up": found["up"],
        "down": found["down"],
        "comment_count": found["comment_count"],
        "quality": found["quality"],
    }


def _own_numbers(found: dict) -> dict:
    """Content's numbers of a post: its votes and comments, counted as each commits, and the feed's quality
    kept in the post's row (0 until the feed scores it)."""
    return {
        "up": found["up"],
        "down": found["down"],
        "comment_count": found.get("comment_count", 0),
        "quality": found.get("quality", 0.0),
    }
