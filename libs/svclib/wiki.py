"""What every wiki page shares: a diff between two revisions."""

from __future__ import annotations

import difflib


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
