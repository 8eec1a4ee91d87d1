"""What every wiki page shares: edits made against the revision they were made on, the history of
revisions and the diff between two.

A page is a row with a ``revision`` number and text fields; an edit names the revision it was
made on (``check_base``) and, when it changes anything, becomes the page's next revision, a copy
of its fields (``revise``).
"""

from __future__ import annotations

import difflib

from sqlalchemy import select

from svclib import pagination
from svclib.exceptions import Conflict, NotFound


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

    def __init__(self, model, owner: str, fields: tuple[str, ...], schema, what: str = "page", conflict=Conflict):
        self.model = model
        self.owner_key = owner
        self.owner = getattr(model, owner)
        self.fields = fields
        self.schema = schema
        self.what = what
        self.conflict = conflict

    def check_base(self, page, base_revision: int) -> None:
        """Refuse an edit made on another revision than the page's current one: someone saved in between."""
        if base_revision != page.revision:
            raise self.conflict(
                f"The {self.what} changed since you opened it; reload and edit again.",
                fields={"base_revision": [f"The current revision is {page.revision}."]},
                current_revision=page.revision,
            )

    def keep(self, session, page, editor_id: str, edit_summary: str, **columns) -> None:
        """Keep the page's fields as they stand as its revision ``page.revision`` (``columns``: the row's others)."""
        fields = {field: getattr(page, field) for field in self.fields}
        session.add(
            self.model(
                **{self.owner_key: page.id},
                revision=page.revision,
                editor_id=editor_id,
                edit_summary=edit_summary or "",
                **fields,
                **columns,
            )
        )

    def revise(self, session, page, editor_id: str, edit_summary: str, **columns) -> None:
        """The page's fields were just changed: it becomes its next revision, kept."""
        page.revision += 1
        self.keep(session, page, editor_id, edit_summary, **columns)
        session.flush()

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
