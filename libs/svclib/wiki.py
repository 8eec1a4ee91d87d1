"""What every wiki page shares: its history of revisions and the diff between two."""

from __future__ import annotations

import difflib

from sqlalchemy import select

from svclib import pagination
from svclib.exceptions import NotFound


def diff(before: dict[str, str], after: dict[str, str]) -> list[dict]:
    """Per changed field, a unified diff of its text: ``[{"field", "diff"}]``."""
    changes = []
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field) or "", after.get(field) or ""
        if old == new:
            continue
        lines = difflib.unified_diff(
            old.splitlines(), new.splitlines(), fromfile=f"{field} (before)", tofile=f"{field} (after)", lineterm=""
        )
        changes.append({"field": field, "diff": "\n".join(lines)})
    return changes


class History:
    """A wiki page's revisions: rows of ``model`` numbered by ``revision`` under an owner column."""

    def __init__(self, model, owner: str, fields: tuple[str, ...], schema):
        self.model = model
        self.owner = getattr(model, owner)
        self.fields = fields
        self.schema = schema

    def get(self, session, owner_id: str, number: int):
        row = session.scalar(select(self.model).where(self.owner == owner_id, self.model.revision == number))
        if row is None:
            raise NotFound("No such revision.")
        return row

    def page(self, session, owner_id: str, limit: int | None, cursor: str | None) -> dict:
        query = select(self.model).where(self.owner == owner_id)
        return pagination.newest_first(
            session, query, self.model.revision, limit, cursor, lambda rows: self.schema.dump(rows, many=True)
        )

    def compare(self, session, owner_id: str, number: int) -> dict:
        """Revision ``number`` against the one before it."""
        current = self.get(session, owner_id, number)
        before = self.get(session, owner_id, number - 1) if number > 1 else None

        def text(row) -> dict[str, str]:
            return {field: getattr(row, field) or "" for field in self.fields} if row is not None else {}

        return {**self.schema.dump(current), "changes": diff(text(before), text(current))}
