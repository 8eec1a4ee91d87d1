"""Turn people's ids into ``{id, username, display_name}`` with one batch call.

An erased account is ``None`` wherever a person would be: its former id is never shown, so
nothing public links what the person left behind to each other or to the account.
"""

from __future__ import annotations

from collections.abc import Iterable


def named(found: dict[str, dict], ids: Iterable[str]) -> dict[str, dict | None]:
    """Summaries from identity's ``get_people`` answer; an id identity does not know (erased) is None."""
    return {
        i: {"id": i, "username": found[i]["username"], "display_name": found[i]["display_name"]} if i in found else None
        for i in ids
    }


def author_named(author_id: str | None, held: dict | None, found: dict[str, dict]) -> dict[str, dict | None]:
    """A post's author named by identity's answer (``found``) when it names them, else by content's copy of their
    names (``held``, its ``author_names``); None when neither does (erased), nobody for an erased post author."""
    if not author_id:
        return {}
    if held and author_id not in found:
        return {author_id: {"id": author_id, **held}}
    return named(found, [author_id])


def unnamed(ids: Iterable[str | None]) -> dict[str, dict]:
    """People known by id only: the answer to a write that committed while identity did not answer."""
    return {i: {"id": i, "username": None, "display_name": None} for i in ids if i}


def people(services, ids: Iterable[str | None]) -> dict[str, dict | None]:
    wanted = sorted({i for i in ids if i})
    return named(services.call("identity", "get_people", wanted) if wanted else {}, wanted)


def with_people(services, items: list[dict], id_key: str, name_key: str) -> list[dict]:
    """Replace ``item[id_key]`` with ``item[name_key]``, a person (None if erased), for every item: one batch call."""
    names = people(services, (item[id_key] for item in items))
    for item in items:
        found = item.pop(id_key)
        item[name_key] = names[found] if found else None
    return items
