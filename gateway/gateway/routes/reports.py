"""Reports to a subwiki's moderators, and their decisions."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from gateway.auth import login_required
from gateway.people import with_people
from gateway.routes import RETRY_KEY, body, doc, idempotency_key, query, services
from gateway.schemas import (
    PageQuery,
    ReportFiled,
    ReportPage,
    ReportRequest,
    ReportResolved,
    ResolveRequest,
)

bp = Blueprint("reports", __name__, url_prefix="/api/v1")


def report_doc(target: str):
    return doc(
        f"Report a {target} to the subwiki's moderators",
        ReportRequest,
        ReportFiled,
        status=202,
        auth=True,
        tag="Moderation",
        errors=(403, 409, 429),
        headers=(RETRY_KEY,),
    )


def _report(target_type: str, target_id: str):
    filed = services().call(
        "content",
        "file_report",
        g.caller["id"],
        target_type,
        target_id,
        body(ReportRequest)["reason"],
        idempotency_key=idempotency_key(),
    )
    return jsonify(filed), 202


@bp.post("/posts/<post_id>/reports")
@login_required
@report_doc("post")
def report_post(post_id: str):
    return _report("post", post_id)


@bp.post("/comments/<comment_id>/reports")
@login_required
@report_doc("comment")
def report_comment(comment_id: str):
    return _report("comment", comment_id)


@bp.get("/subwikis/<slug>/reports")
@login_required
@doc("Open reports (moderators)", response=ReportPage, auth=True, tag="Moderation", query=PageQuery, errors=(403,))
def reports(slug: str):
    args = query(PageQuery)
    page = services().call("content", "list_reports", g.caller["id"], slug, **args)
    for item in with_people(services(), page["items"], "reporter_id", "reporter"):
        item["target"] = {"type": item.pop("target_type"), "id": item.pop("target_id")}
    return jsonify(page)


@bp.post("/reports/<report_id>/resolve")
@login_required
@doc(
    "Resolve a report: uphold removes the target (moderators)",
    ResolveRequest,
    ReportResolved,
    auth=True,
    tag="Moderation",
    errors=(403, 409),
)
def resolve(report_id: str):
    action = body(ResolveRequest)["action"]
    return jsonify(services().call("content", "resolve_report", g.caller["id"], report_id, action))
