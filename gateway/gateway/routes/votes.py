"""Votes on posts and comments: one per person, +1 or -1."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from gateway.auth import login_required
from gateway.routes import body, doc, services
from gateway.schemas import (
    VoteRequest,
    VoteTally,
)

bp = Blueprint("votes", __name__, url_prefix="/api/v1")


def _vote(target_type: str, target_id: str, value: int | None):
    return jsonify(services().call("content", "vote", g.caller["id"], target_type, target_id, value))


@bp.put("/posts/<post_id>/vote")
@login_required
@doc("Vote +1 or -1 (one per person)", VoteRequest, VoteTally, auth=True, tag="Posts", errors=(403,))
def vote_post(post_id: str):
    return _vote("post", post_id, body(VoteRequest)["value"])


@bp.delete("/posts/<post_id>/vote")
@login_required
@doc("Remove your vote", response=VoteTally, auth=True, tag="Posts", errors=(403,))
def unvote_post(post_id: str):
    return _vote("post", post_id, None)


@bp.put("/comments/<comment_id>/vote")
@login_required
@doc("Vote on a comment", VoteRequest, VoteTally, auth=True, tag="Discussion", errors=(403,))
def vote_comment(comment_id: str):
    return _vote("comment", comment_id, body(VoteRequest)["value"])


@bp.delete("/comments/<comment_id>/vote")
@login_required
@doc("Remove your vote on a comment", response=VoteTally, auth=True, tag="Discussion", errors=(403,))
def unvote_comment(comment_id: str):
    return _vote("comment", comment_id, None)
