"""A post's discussion as the API gives it: a tree of comments, each with its ``children``."""

from __future__ import annotations

MAX_DEPTH = 6


def find_comment(nodes: list[dict], comment_id: str) -> dict | None:
    for node in nodes:
        if node["id"] == comment_id:
            return node
        found = find_comment(node.get("children", []), comment_id)
        if found:
            return found
    return None


def count_comments(nodes: list[dict]) -> int:
    return sum(1 + count_comments(n.get("children", [])) for n in nodes)
