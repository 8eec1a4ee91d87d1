"""A post's pages, one concern a module: reading it and its discussion, voting, comments, reports,
wiki edits, their history and held edits, protection and removal, submitting a new post, the pictures
people uploaded, and the live preview of a text box.

Every route is on this one blueprint, ``posts``: templates and tests name them ``posts.<view>``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("posts", __name__)

# Each module adds its routes to ``bp`` when imported.
from web.views.posts import (  # noqa: F401
    comments,
    editing,
    history,
    moderation,
    pictures,
    previews,
    reading,
    reports,
    submit,
    votes,
)
