"""Turn people's ids into ``{id, username, display_name}`` with one batch call."""

from __future__ import annotations

from collections.abc import Iterable

GONE = {"username": "deleted", "display_name": "Deleted account"}


def named(found: dict[str, dict], ids: Iterable[str]) -> dict[str, dict]:
    """Summaries from identity's ``get_users`` answer; erased accounts show as deleted."""
    return {
        i: {"id": i, "username": found[i]["username"], "display_name": found[i]["display_name"]}
        if i in found
        else {"id": i, **GONE}
        for i in ids
    }


def unnamed(ids: Iterable[str | None]) -> dict[str, dict]:
    """People known by id only: the answer to a write that committed while identity did not answer."""
    return {i: {"id": i, "username": None, "display_name": None} for i in ids if i}


def people(services, ids: Iterable[str | None]) -> dict[str, dict]:
    wanted = sorted({i for i in ids if i})
    return named(services.call("identity", "get_people", wanted) if wanted else {}, wanted)


def with_people(services, items: list[dict], id_key: str, name_key: str) -> list[dict]:
    """Replace ``item[id_key]`` with ``item[name_key]``, a person, for every item: one batch call."""
    names = people(services, (item[id_key] for item in items))
    for item in items:
        item[name_key] = names[item.pop(id_key)]
    return items
