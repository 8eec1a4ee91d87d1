import random
from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import event, select

from identity import trust
from identity.handlers import trust_inputs
from identity.models import OUTBOX, Base, ReceivedVote, User
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
    service.recompute_due_trust()
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
    service.recompute_due_trust()
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


def vote_payload(n, author_id, voter_id, value, version, target="p1"):
    vote = {"target_type": "post", "target_id": target, "voter_id": voter_id, "target_author_id": author_id}
    return {"event_id": f"v{n}", "vote": {**vote, "value": value, "version": version}}


def test_a_burst_of_votes_for_one_author_recomputes_their_trust_once(service, db):
    author = service.register("popular", "popular@example.com", PASSWORD)
    voters = [service.register(f"fan{n}", f"fan{n}@example.com", PASSWORD) for n in range(12)]
    for n, voter in enumerate(voters):
        service.handle_vote_cast(vote_payload(n, author["id"], voter["id"], 1, 1))
    assert trust_of(db, author["id"]) == 0.1  # marked due, not yet recomputed
    with db.transaction() as tx:
        assert trust_inputs.due(tx, 10) == [author["id"]]

    # Any worker recomputes it (another replica, or this process after a restart): the mark is in the database.
    other = worker_factory(IdentityService, db=db, config={}, kept=Kept(max_entries=0, max_age=0))
    other.recompute_due_trust()
    assert trust_of(db, author["id"]) == pytest.approx(0.1 + 0.35 * (12 * 0.1) / 20, abs=1e-3)
    assert changes(db) == [{"id": author["id"], "trust": trust_of(db, author["id"]), "version": 1}]
    with db.transaction() as tx:
        assert trust_inputs.due(tx, 10) == []
        assert trust_inputs.recompute_due(tx, author["id"], utcnow()) is False  # nothing left for a second one
    service.recompute_due_trust()
    assert len(changes(db)) == 1


def test_a_vote_is_a_few_statements_and_announced_to_nobody(service, db):
    """Votes are most of what identity handles: each is one statement per step (its record, the author's
    lock, its version, the vote, the mark), and nothing a kept answer shows changes until trust does."""
    author = service.register("busy", "busy@example.com", PASSWORD)
    voter = service.register("fan", "fan@example.com", PASSWORD)
    statements, announced = [], []
    db.on_commit(announced.append)

    def record(_connection, _cursor, statement, *_):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        service.handle_vote_cast(vote_payload(1, author["id"], voter["id"], 1, 1))
        cast = len(statements)
        service.handle_vote_cast(vote_payload(1, author["id"], voter["id"], 1, 1))  # delivered again
        again = len(statements) - cast
        service.handle_vote_removed(vote_payload(2, author["id"], voter["id"], None, 1))  # older: nothing changes
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert cast <= 5, statements[:cast]
    assert again == 1
    assert announced == []
    with db.transaction() as tx:
        assert tx.session.scalars(select(ReceivedVote.weight)).all() == [0.1]

    service.recompute_due_trust()
    assert announced


def _vote_events(author_ids, voter_ids, rng):
    """Votes flipped five times per (voter, post), then some delivered again, all out of order."""
    events, n = [], 0
    for voter_id in voter_ids:
        for post in range(3):
            author_id = author_ids[post % len(author_ids)]
            for version in range(1, 6):
                n += 1
                events.append(vote_payload(n, author_id, voter_id, rng.choice([1, -1, None]), version, f"p{post}"))
    events += rng.sample(events, len(events) // 4)
    rng.shuffle(events)
    return events


def _people(db, authors, voters):
    """Authors old enough that age adds the same to any recomputation; voters of different trust."""
    with db.transaction() as tx:
        for n, user_id in enumerate([*authors, *voters]):
            tx.session.add(
                User(
                    id=user_id,
                    username=user_id,
                    email=f"{user_id}@example.com",
                    email_normalised=f"{user_id}@example.com",
                    display_name=user_id,
                    password_hash="x",
                    trust=0.1 if user_id in authors else round(0.1 + 0.9 * n / (len(authors) + len(voters)), 4),
                    created_at=utcnow() - timedelta(days=90),
                )
            )


def test_a_tick_recomputes_many_people_in_a_few_statements(service, db):
    """Votes under load go to many authors, each marked due by one or two: the timer's tick recomputes them
    together (trust_inputs.recompute_due_many), a few statements for all of them instead of a few each, with the
    trust each would have been given alone."""
    authors = [service.register(f"author{n}", f"author{n}@example.com", PASSWORD) for n in range(12)]
    voter = service.register("voter", "voter@example.com", PASSWORD)
    for n, author in enumerate(authors):
        service.handle_vote_cast(vote_payload(n, author["id"], voter["id"], 1, 1, target=f"p{n}"))
    with db.reading() as tx:
        assert sorted(trust_inputs.due(tx, 100)) == sorted(a["id"] for a in authors)
    statements = []

    def record(_connection, _cursor, statement, *_):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        service.recompute_due_trust()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    # The due read, the people locked, their marks taken, their stats and up-votes read, their trust written.
    assert len(statements) <= 8, statements
    for author in authors:
        assert trust_of(db, author["id"]) == pytest.approx(0.1 + 0.35 * 0.1 / 20, abs=1e-4)
    with db.reading() as tx:
        assert trust_inputs.due(tx, 100) == []
        assert trust_inputs.recompute_due_many(tx, [a["id"] for a in authors], utcnow()) == []


@pytest.mark.parametrize("together", [False, True], ids=["one by one", "together"])
def test_coalesced_recomputation_gives_the_trust_of_recomputing_after_every_vote(together):
    """The same votes (flips, redeliveries, out of order) applied to two databases: one recomputing the
    author's trust in every vote's transaction, as identity did, the other through the marks, recomputed
    now and then in between, each person in a transaction of their own or all of them in one: the same votes
    held, the same trust, its last change told within ``TOLD_STEP`` of it (and recorded as told)."""
    rng = random.Random(7)
    authors, voters = ["a1", "a2"], [f"v{n:02}" for n in range(12)]
    events = _vote_events(authors, voters, rng)
    now = utcnow()
    each, coalesced = memory_database(Base.metadata), memory_database(Base.metadata)
    try:
        _people(each, authors, voters)
        _people(coalesced, authors, voters)
        for payload in events:

            def per_vote(tx, vote):
                for user_id in trust_inputs.record_vote(tx, vote):
                    trust_inputs.recompute_trust(tx, user_id, now)

            def marking(tx, vote):
                trust_inputs.mark_due(tx, trust_inputs.record_vote(tx, vote), now)

            each.apply_once(payload, "handle_vote", per_vote, payload["vote"])
            coalesced.apply_once(payload, "handle_vote", marking, payload["vote"])
            if rng.random() < 0.1:
                _recompute(coalesced, now, together)
        due = _due(coalesced)
        assert sorted(_recompute(coalesced, now, together)) == sorted(due)
        assert _due(coalesced) == []

        def held(db):
            with db.transaction() as tx:
                votes = {
                    (v.author_id, v.target_id, v.voter_id, v.weight) for v in tx.session.scalars(select(ReceivedVote))
                }
                people = list(tx.session.scalars(select(User).where(User.id.in_(authors))))
            return votes, {u.id: u.trust for u in people}, {u.id: u.trust_told for u in people}

        assert held(coalesced)[:2] == held(each)[:2]
        votes, trusts, told = held(coalesced)
        assert votes and all(value > 0.1 for value in trusts.values())
        for user_id in authors:
            last = [change for change in changes(coalesced) if change["id"] == user_id][-1]
            assert last["trust"] == told[user_id]
            assert abs(last["trust"] - trusts[user_id]) < trust.TOLD_STEP
            versions = [change["version"] for change in changes(coalesced) if change["id"] == user_id]
            assert versions == list(range(1, len(versions) + 1))
        assert len(changes(coalesced)) <= len(changes(each))  # each step told by both
    finally:
        each.dispose()
        coalesced.dispose()


def _recompute(db, now, together: bool) -> list[str]:
    """Everyone due recomputed, each in a transaction of their own or all in one; those recomputed."""
    due = _due(db)
    if together:
        with db.transaction() as tx:
            return trust_inputs.recompute_due_many(tx, due, now)
    done = []
    for user_id in due:
        with db.transaction() as tx:
            if trust_inputs.recompute_due(tx, user_id, now):
                done.append(user_id)
    return done


def _due(db):
    with db.reading() as tx:
        return trust_inputs.due(tx, 100)


def _upvote(service, n: int, voter: dict, author: dict) -> None:
    vote = {"target_type": "post", "target_id": f"p{n}", "voter_id": voter["id"], "value": 1}
    service.handle_vote_cast({"event_id": f"step{n}", "vote": {**vote, "target_author_id": author["id"]}})
    service.recompute_due_trust()


def test_trust_is_told_once_it_moved_a_step_and_identity_keeps_every_move(service, db):
    """Each change told reweighs every vote the person cast in the feed and content: a newcomer's up-vote (0.00175)
    is not told on its own; the change is told, with identity's own value, once it reaches ``TOLD_STEP``."""
    author = service.register("stepper", "stepper@example.com", PASSWORD)
    newcomers = [service.register(f"step{n}", f"step{n}@example.com", PASSWORD) for n in range(20)]
    _upvote(service, 0, newcomers[0], author)
    first = trust_of(db, author["id"])
    assert first == pytest.approx(0.1 + 0.35 * 0.1 / 20, abs=1e-4)  # identity's own follows every vote
    assert changes(db) == []
    n = 1
    while trust_of(db, author["id"]) - 0.1 < trust.TOLD_STEP:
        assert changes(db) == []
        _upvote(service, n, newcomers[n], author)
        n += 1
    assert n > 2
    assert changes(db) == [{"id": author["id"], "trust": trust_of(db, author["id"]), "version": 1}]
    told = trust_of(db, author["id"])
    _upvote(service, n, newcomers[n], author)
    assert trust_of(db, author["id"]) > told
    assert len(changes(db)) == 1


def test_trust_back_at_the_floor_is_told_at_once(service, db):
    author = service.register("faller", "faller@example.com", PASSWORD)
    voters = [service.register(f"fall{n}", f"fall{n}@example.com", PASSWORD) for n in range(13)]
    for n, voter in enumerate(voters):
        _upvote(service, n, voter, author)
    assert [c["version"] for c in changes(db)] == [1]
    with db.transaction() as tx:
        tx.session.get(User, author["id"]).trust_told = 0.105  # as if told just above the floor
    service.handle_report_resolved(
        {"event_id": "upheld", "report": {"id": "r", "action": "uphold", "target_author_id": author["id"]}}
    )
    assert trust_of(db, author["id"]) == 0.1
    assert changes(db)[-1] == {"id": author["id"], "trust": 0.1, "version": 2}


def test_a_popular_authors_trust_reads_only_the_up_votes_that_can_count(service, db):
    """The votes term stops at UPVOTES_FULL and each up-vote weighs at least the floor: the recomputation sums at
    most ``ENOUGH_UPVOTES`` of them and gets what summing all would give, for an author with hundreds or with few."""
    popular = service.register("famous", "famous@example.com", PASSWORD)
    modest = service.register("modest", "modest@example.com", PASSWORD)
    now = utcnow()
    with db.transaction() as tx:
        for n in range(3 * trust_inputs.ENOUGH_UPVOTES):
            tx.session.add(
                ReceivedVote(
                    target_type="post", target_id=f"p{n}", voter_id=f"v{n}", author_id=popular["id"], weight=0.1
                )
            )
        for n in range(30):
            tx.session.add(
                ReceivedVote(
                    target_type="post", target_id=f"q{n}", voter_id=f"v{n}", author_id=modest["id"], weight=0.5
                )
            )
    read: list[int] = []

    def rows_read(_connection, _cursor, statement, parameters, *_):
        if "received_votes" in statement:
            read.append(parameters)

    event.listen(db.engine, "before_cursor_execute", rows_read)
    try:
        with db.transaction() as tx:
            assert trust_inputs.recompute_trust(tx, popular["id"], now) == trust.trust(
                0, 0, 0, 3 * trust_inputs.ENOUGH_UPVOTES * 0.1, 0
            )
            assert trust_inputs.recompute_trust(tx, modest["id"], now) == trust.trust(0, 0, 0, 15.0, 0)
    finally:
        event.remove(db.engine, "before_cursor_execute", rows_read)
    assert trust.trust(0, 0, 0, 3 * trust_inputs.ENOUGH_UPVOTES * 0.1, 0) == pytest.approx(0.1 + 0.35)  # the term full
    assert len(read) == 2
    assert all(trust_inputs.ENOUGH_UPVOTES in (p.values() if isinstance(p, dict) else p) for p in read)
