"""Reports: members flag a post or comment; the subwiki's moderators uphold (remove) or dismiss."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from content import events
from content.exceptions import Conflict, Forbidden, Invalid, NotFound
from content.handlers import access, idempotency
from content.handlers.access import MembershipLookup
from content.handlers.comments import remove_comment
from content.handlers.posts import remove_post
from content.models import RATE_LIMITS, Comment, Post, Report
from content.schemas import ReportSchema
from svclib import pagination
from svclib.db import Transaction
from svclib.ratelimit import RateLimit

REPORTS = ReportSchema(many=True)
# Reports one account may file: more than any member files in a day, few enough that no one
# buries a subwiki's moderators (RATE_LIMIT_REPORTS_LIMIT, RATE_LIMIT_REPORTS_WINDOW_SECONDS).
# Filing an open report again answers with it and is not counted.
REPORTS_FILED = RateLimit.from_env(
    "REPORTS", limit=50, window_seconds=24 * 3600, message="You have filed many reports today; try again later."
)


def _open_report(tx: Transaction, user_id: str, target_type: str, target_id: str) -> Report | None:
    return tx.session.scalar(
        select(Report).where(
            Report.reporter_id == user_id,
            Report.target_type == target_type,
            Report.target_id == target_id,
            Report.status == "open",
        )
    )


def file_report(
    tx: Transaction, user_id: str, target_type: str, target_id: str, reason: str, idempotency_key: str | None = None
) -> dict:
    """A report to the subwiki's moderators. A person has one open report per target: filing again
    answers with that report (its first reason stands) until a moderator resolves it. With an
    ``idempotency_key`` the same request again answers with the report it made."""
    request = {"target_type": target_type, "target_id": target_id, "reason": reason}
    made = idempotency.claim(tx, user_id, idempotency_key, "file_report", request)
    if made is not None:
        return {"id": made}
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 1000:
        raise Invalid("Say what is wrong.", fields={"reason": ["Use 1 to 1000 characters."]})
    if target_type == "post":
        post = access.post(tx, target_id)
        subwiki_id, author_id = post.subwiki_id, post.author_id
    else:
        comment = access.comment(tx, target_id)
        post = access.post(tx, comment.post_id)
        subwiki_id, author_id = post.subwiki_id, comment.author_id
    existing = _open_report(tx, user_id, target_type, target_id)
    if existing is not None:
        idempotency.settle(tx, user_id, idempotency_key, existing.id)
        return {"id": existing.id}
    REPORTS_FILED.hit(tx, RATE_LIMITS, user_id)  # counted with the report: one refused or failing is not
    report = Report(
        id=uuid.uuid4().hex,
        subwiki_id=subwiki_id,
        target_type=target_type,
        target_id=target_id,
        target_author_id=author_id,
        reporter_id=user_id,
        reason=reason,
        status="open",
    )
    try:
        with tx.session.begin_nested():
            tx.session.add(report)
    except IntegrityError:
        # The same person's same report, filed at the same moment, committed first.
        report = _open_report(tx, user_id, target_type, target_id)
        idempotency.settle(tx, user_id, idempotency_key, report.id)
        return {"id": report.id}
    tx.emit(events.ReportFiled(id=report.id, subwiki_id=subwiki_id, target_type=target_type, target_id=target_id))
    idempotency.settle(tx, user_id, idempotency_key, report.id)
    return {"id": report.id}


def list_reports(
    tx: Transaction, lookup: MembershipLookup, user_id: str, slug: str, limit: int | None, cursor: str | None
) -> dict:
    subwiki_id = access.subwiki_id(tx, lookup, slug, user_id)
    if not access.is_moderator(tx, lookup, subwiki_id, user_id):
        raise Forbidden("Only this subwiki's moderators see its reports.")
    size = pagination.limit(limit)
    query = select(Report).where(Report.subwiki_id == subwiki_id, Report.status == "open")
    after = pagination.decode(cursor, (datetime, str))
    if after is not None:
        query = query.where((Report.created_at > after[0]) | ((Report.created_at == after[0]) & (Report.id > after[1])))
    rows = tx.session.scalars(query.order_by(Report.created_at, Report.id).limit(size + 1)).all()
    result = pagination.page(list(rows), size, lambda row: (row.created_at, row.id))
    result["items"] = REPORTS.dump(result["items"])
    return result


def resolve_report(tx: Transaction, lookup: MembershipLookup, user_id: str, report_id: str, action: str) -> dict:
    if action not in ("uphold", "dismiss"):
        raise Invalid("Uphold or dismiss.", fields={"action": ["Use uphold or dismiss."]})
    report = tx.session.get(Report, report_id)
    if report is None:
        raise NotFound("No such report.")
    if not access.is_moderator(tx, lookup, report.subwiki_id, user_id):
        raise Forbidden("Only this subwiki's moderators resolve its reports.")
    if report.status != "open":
        raise Conflict("This report was resolved already.")
    report.status, report.action, report.resolved_by = "resolved", action, user_id
    reporters = [report.reporter_id]
    if action == "uphold":
        _remove_target(tx, lookup, user_id, report)
        reporters += tx.session.scalars(
            select(Report.reporter_id).where(
                Report.target_type == report.target_type,
                Report.target_id == report.target_id,
                Report.status == "open",
                Report.id != report.id,
            )
        ).all()
        tx.session.execute(
            update(Report)
            .where(
                Report.target_type == report.target_type, Report.target_id == report.target_id, Report.status == "open"
            )
            .values(status="resolved", action="duplicate", resolved_by=user_id)
        )
    tx.emit(
        events.ReportResolved(
            id=report.id,
            subwiki_id=report.subwiki_id,
            action=action,
            target_type=report.target_type,
            target_id=report.target_id,
            target_author_id=report.target_author_id,
            resolved_by=user_id,
            reporter_ids=list(dict.fromkeys(reporters)),
            post_id=_post_of(tx, report),
        )
    )
    return {"id": report.id, "status": report.status, "action": action}


def _remove_target(tx: Transaction, lookup: MembershipLookup, user_id: str, report: Report) -> None:
    """An upheld report removes what it is about, unless that is gone already."""
    if report.target_type == "post":
        post = tx.session.get(Post, report.target_id)
        if post is not None and post.removed_at is None:
            remove_post(tx, lookup, user_id, post.id, f"Report upheld: {report.reason}")
    else:
        comment = tx.session.get(Comment, report.target_id)
        if comment is not None and comment.deleted_at is None:
            remove_comment(tx, lookup, user_id, comment.id, f"Report upheld: {report.reason}")


def _post_of(tx: Transaction, report: Report) -> str | None:
    """The post a report is about, or the post of the comment it is about."""
    if report.target_type == "post":
        return report.target_id
    comment = tx.session.get(Comment, report.target_id)
    return comment.post_id if comment is not None else None
