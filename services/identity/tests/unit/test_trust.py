from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from identity import trust
from identity.models import OUTBOX, Base, User
from identity.service import IdentityService
from svclib.db import utcnow
from svclib.kept import Kept
from svclib.testing import memory_database

PASSWORD = "trust me please"


def test_formula_worked_by_hand():
    assert trust.trust(0, 0, 0, 0, 0) == 0.1
    # a month old: full age factor
    assert trust.trust(30, 0, 0, 0, 0) == pytest.approx(0.3)
    # 9 edits that stood, none reverted: 0.35 * 9 / 12
    assert trust.trust(0, 9, 0, 0, 0) == pytest.approx(0.1 + 0.2625)
    # the same edits with 9 reverted count for half as much
    assert trust.trust(0, 9, 9, 0, 0) == pytest.approx(0.1 + 0.35 * 9 / 21, abs=1e-4)
    # 10 trust-weight of up-votes: half the vote factor
    assert trust.trust(0, 0, 0, 10, 0) == pytest.approx(0.275)
    # everything at once is capped at 1.0; upheld reports pull down but never below 0.1
    assert trust.trust(365, 1000, 0, 1000, 0) == pytest.approx(0.1 + 0.2 + 0.35 * 1000 / 1003 + 0.35, abs=1e-4)
    assert trust.trust(365, 1000, 0, 1000, 20) == 0.1


@pytest.fixture
def db():
    database = memory_database(Base.metadata)
    yield database
    database.dispose()


@pytest.fixture
def service(db):
    return worker_factory(IdentityService, db=db, config={}, kept=Kept(max_entries=0, max_age=0))


def trust_of(db, user_id):
    with db.transaction() as tx:
        return tx.session.get(User, user_id).trust


def changes(db):
    with db.transaction() as tx:
        return [
            row.payload["user"]
            for row in tx.session.execute(select(OUTBOX).order_by(OUTBOX.c.id))
            if row.event_type == "user_trust_changed"
        ]


def test_edits_that_stand_raise_trust_and_reverts_lower_it(service, db):
    editor = service.register("editor", "editor@example.com", PASSWORD)
    for n in range(6):
        service.handle_post_edited({"event_id": f"e{n}", "post": {"id": "p", "editor_id": editor["id"]}})
    service.handle_post_edited({"event_id": "e0", "post": {"id": "p", "editor_id": editor["id"]}})
    raised = trust_of(db, editor["id"])
    assert raised == pytest.approx(0.1 + 0.35 * 6 / 9, abs=1e-3)
    reverted_edits = [{"revision": n, "editor_id": editor["id"]} for n in range(3)]
    service.handle_post_reverted({"event_id": "r1", "post": {"id": "p", "reverted_edits": reverted_edits}})
    assert trust_of(db, editor["id"]) < raised
    assert changes(db)[-1] == {"id": editor["id"], "trust": trust_of(db, editor["id"]), "version": len(changes(db))}


def test_upvotes_count_by_the_voters_trust(service, db):
    author = service.register("author", "author@example.com", PASSWORD)
    newcomers = [service.register(f"new{n}", f"new{n}@example.com", PASSWORD) for n in range(20)]
    for n, voter in enumerate(newcomers):
        service.handle_vote_cast(
            {
                "event_id": f"v{n}",
                "vote": {
                    "target_type": "post",
                    "target_id": "p1",
                    "voter_id": voter["id"],
                    "value": 1,
                    "target_author_id": author["id"],
                },
            }
        )
    brigaded = trust_of(db, author["id"])
    assert brigaded == pytest.approx(0.1 + 0.35 * (20 * 0.1) / 20, abs=1e-3)
    service.handle_vote_removed(
        {
            "event_id": "v-undo",
            "vote": {
                "target_type": "post",
                "target_id": "p1",
                "voter_id": newcomers[0]["id"],
                "value": None,
                "target_author_id": author["id"],
            },
        }
    )
    assert trust_of(db, author["id"]) < brigaded


def test_upheld_reports_cost_trust_and_self_votes_count_nothing(service, db):
    author = service.register("troll", "troll@example.com", PASSWORD)
    service.handle_vote_cast(
        {
            "event_id": "self",
            "vote": {
                "target_type": "post",
                "target_id": "p",
                "value": 1,
                "voter_id": author["id"],
                "target_author_id": author["id"],
            },
        }
    )
    assert trust_of(db, author["id"]) == 0.1
    for n in range(3):
        service.handle_post_edited({"event_id": f"e{n}", "post": {"id": "p", "editor_id": author["id"]}})
    before = trust_of(db, author["id"])
    service.handle_report_resolved(
        {"event_id": "rep", "report": {"id": "r", "action": "uphold", "target_author_id": author["id"]}}
    )
    service.handle_report_resolved(
        {"event_id": "rep2", "report": {"id": "r2", "action": "dismiss", "target_author_id": author["id"]}}
    )
    assert trust_of(db, author["id"]) == pytest.approx(max(0.1, before - 0.15))


def test_a_post_removed_as_spam_lowers_its_authors_trust_as_an_upheld_report(service, db):
    author = service.register("spammer", "spammer@example.com", PASSWORD)
    for n in range(6):
        service.handle_post_edited({"event_id": f"e{n}", "post": {"id": "p", "editor_id": author["id"]}})
    before = trust_of(db, author["id"])
    assert before > 0.25
    spam = {"post_id": "p", "subwiki_id": "s", "author_id": author["id"], "removed_by": "m", "removed_post_ids": ["p"]}
    service.handle_spam_removed({"event_id": "spam1", "spam": spam})
    service.handle_spam_removed({"event_id": "spam1", "spam": spam})  # delivered again: counted once
    assert trust_of(db, author["id"]) == pytest.approx(before - 0.15, abs=1e-3)
    service.handle_spam_removed({"event_id": "spam2", "spam": {**spam, "author_id": "nobody"}})  # unknown: nothing


def test_age_is_revisited_by_the_timer(service, db):
    old = service.register("veteran", "veteran@example.com", PASSWORD)
    with db.transaction() as tx:
        tx.session.get(User, old["id"]).created_at = utcnow() - timedelta(days=15)
    service.refresh_young_accounts_trust()
    assert trust_of(db, old["id"]) == pytest.approx(0.2, abs=1e-3)


def test_a_donation_earns_a_badge_and_changes_no_trust(service, db):
    donor = service.register("donor", "donor@example.com", PASSWORD)
    before = trust_of(db, donor["id"])
    event = {"event_id": "d1", "donation": {"id": "x", "donor_id": donor["id"], "amount_cents": 10_000_000}}
    service.handle_donation_completed(event)
    service.handle_donation_completed(event)
    service.handle_donation_completed({**event, "event_id": "d2"})
    assert service.get_user("donor")["badges"] == ["supporter"]
    assert trust_of(db, donor["id"]) == before
    assert changes(db) == []
