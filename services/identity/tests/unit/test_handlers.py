from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory

from identity import passwords
from identity.exceptions import Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthenticated
from identity.handlers import accounts, limits
from identity.models import OUTBOX, RATE_LIMITS, Base, HeldUsername
from identity.service import IdentityService
from svclib.db import utcnow
from svclib.kept import Kept
from svclib.testing import memory_database

GOOD_PASSWORD = "correct horse battery"


@pytest.fixture
def db():
    database = memory_database(Base.metadata)
    yield database
    database.dispose()


@pytest.fixture
def service(db):
    return worker_factory(IdentityService, db=db, config={}, kept=Kept(max_entries=0, max_age=0))


def outbox_types(db):
    with db.transaction() as tx:
        return [row.event_type for row in tx.session.execute(OUTBOX.select().order_by(OUTBOX.c.id))]


def test_register_returns_private_view_and_records_event(service, db):
    user = service.register("Alice_1", "Alice@Example.com", GOOD_PASSWORD, "Alice")
    assert user["username"] == "alice_1"
    assert user["email"] == "Alice@Example.com"
    assert user["display_name"] == "Alice"
    assert user["trust"] == pytest.approx(0.1)
    assert outbox_types(db) == ["user_registered"]


def test_password_is_stored_as_argon2id(service, db):
    service.register("bob_1", "bob@example.com", GOOD_PASSWORD)
    with db.transaction() as tx:
        stored = tx.session.execute(Base.metadata.tables["users"].select()).one().password_hash
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert GOOD_PASSWORD not in stored


@pytest.mark.parametrize(
    ("username", "email", "password", "field"),
    [
        ("ab", "a@example.com", GOOD_PASSWORD, "username"),
        ("has-dash", "a@example.com", GOOD_PASSWORD, "username"),
        ("valid_name", "not-an-email", GOOD_PASSWORD, "email"),
        ("valid_name", "a@example.com", "short", "password"),
        ("valid_name", "a@example.com", "1234567890", "password"),
        ("valid_name", "a@example.com", "qwertyuiop", "password"),
    ],
)
def test_invalid_registration_names_the_field(service, username, email, password, field):
    with pytest.raises(Invalid) as caught:
        service.register(username, email, password)
    assert field in caught.value.details["fields"]


def test_usernames_and_emails_are_unique_case_insensitively(service):
    service.register("carol", "carol@example.com", GOOD_PASSWORD)
    with pytest.raises(Conflict) as caught:
        service.register("CAROL", "other@example.com", GOOD_PASSWORD)
    assert "username" in caught.value.details["fields"]
    with pytest.raises(Conflict) as caught:
        service.register("carol2", "CAROL@EXAMPLE.COM", GOOD_PASSWORD)
    assert "email" in caught.value.details["fields"]


def test_login_by_username_or_email_and_token_is_hashed(service, db):
    service.register("dave", "dave@example.com", GOOD_PASSWORD)
    by_name = service.login("dave", GOOD_PASSWORD, "10.0.0.1")
    by_email = service.login("DAVE@example.com", GOOD_PASSWORD, "10.0.0.1")
    assert by_name["token"] != by_email["token"]
    assert len(by_name["token"]) >= 43  # 256 random bits, url-safe base64
    assert service.authenticate(by_name["token"])["username"] == "dave"
    with db.transaction() as tx:
        hashes = {row.token_hash for row in tx.session.execute(Base.metadata.tables["sessions"].select())}
    assert by_name["token"] not in hashes
    assert accounts.token_hash(by_name["token"]) in hashes


def test_wrong_password_is_unauthenticated(service):
    service.register("erin", "erin@example.com", GOOD_PASSWORD)
    with pytest.raises(Unauthenticated):
        service.login("erin", "wrong password!", "10.0.0.2")
    with pytest.raises(Unauthenticated):
        service.login("nobody_here", GOOD_PASSWORD, "10.0.0.2")


def test_logout_revokes_token_and_tells_gateways(service):
    service.register("frank", "frank@example.com", GOOD_PASSWORD)
    token = service.login("frank", GOOD_PASSWORD, "10.0.0.3")["token"]
    service.logout(token)
    with pytest.raises(Unauthenticated):
        service.authenticate(token)
    (payload,), _ = service.revocations.call_args
    assert payload["token_hashes"] == [accounts.token_hash(token)]


def test_expired_token_is_refused(db):
    with db.transaction() as tx:
        accounts.register(tx, "gina", "gina@example.com", "x", "Gina")
    policy = limits.LoginPolicy(session_ttl=timedelta(seconds=1))
    with db.transaction() as tx:
        user = accounts.find_login(tx, "gina")
        token = accounts.start_session(tx, user, policy, utcnow() - timedelta(seconds=5))["token"]
    with db.transaction() as tx, pytest.raises(Unauthenticated):
        accounts.authenticate(tx, token, utcnow())


@pytest.fixture
def limited(db):
    config = {"LOGIN_MAX_FAILURES_PER_ACCOUNT": 3, "LOGIN_MAX_FAILURES_PER_IP": 6, "REGISTRATIONS_PER_IP": 4}
    return worker_factory(IdentityService, db=db, config=config, kept=Kept(max_entries=0, max_age=0))


def test_failures_from_one_address_limit_that_address_not_the_owner(limited):
    limited.register("henry", "henry@example.com", GOOD_PASSWORD)
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            limited.login("henry", "wrong password!", "10.1.0.1")
    with pytest.raises(RateLimited) as caught:
        limited.login("HENRY", GOOD_PASSWORD, "10.1.0.1")
    assert 1 <= caught.value.details["retry_after"] <= 901
    assert limited.login("henry", GOOD_PASSWORD, "10.1.0.2")["user"]["username"] == "henry"


def test_login_by_email_counts_against_the_same_account(limited):
    limited.register("hilda", "hilda@example.com", GOOD_PASSWORD)
    for login in ("hilda", "Hilda@Example.com", "hilda"):
        with pytest.raises(Unauthenticated):
            limited.login(login, "wrong password!", "10.1.0.3")
    with pytest.raises(RateLimited):
        limited.login("hilda@example.com", GOOD_PASSWORD, "10.1.0.3")


def test_a_success_forgets_the_account_s_failures_whichever_login_named_it(limited):
    limited.register("hugo", "hugo@example.com", GOOD_PASSWORD)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            limited.login("hugo", "wrong password!", "10.1.0.4")
    limited.login("hugo@example.com", GOOD_PASSWORD, "10.1.0.4")
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            limited.login("hugo", "wrong password!", "10.1.0.4")


def test_ip_rate_limit_spans_accounts(limited):
    for attempt in range(6):
        with pytest.raises(Unauthenticated):
            limited.login(f"user{attempt}", "wrong password!", "10.2.0.1")
    with pytest.raises(RateLimited):
        limited.login("someone_else", "wrong password!", "10.2.0.1")
    with pytest.raises(Unauthenticated):
        limited.login("someone_else", "wrong password!", "10.2.0.2")


def test_an_account_s_failures_from_anywhere_only_slow_its_logins():
    policy = limits.LoginPolicy(delay_after_failures=5, max_delay_seconds=2.0)
    delays = [policy.delay(failures) for failures in range(12)]
    assert delays[:5] == [0.0] * 5
    assert delays[5:] == sorted(delays[5:]) and 0 < delays[5] < delays[6] and delays[-1] == 2.0


def test_wrong_passwords_confirming_an_erasure_are_limited(limited):
    me = limited.register("hana", "hana@example.com", GOOD_PASSWORD)
    for _ in range(3):
        with pytest.raises(Forbidden):
            limited.erase_me(me["id"], "not my password")
    with pytest.raises(RateLimited):
        limited.erase_me(me["id"], GOOD_PASSWORD)


def test_registrations_per_address_are_limited(limited):
    for n in range(4):
        limited.register(f"reg_{n}", f"reg_{n}@example.com", GOOD_PASSWORD, None, "10.4.0.1")
    with pytest.raises(RateLimited) as caught:
        limited.register("reg_x", "reg_x@example.com", GOOD_PASSWORD, None, "10.4.0.1")
    assert caught.value.details["retry_after"] >= 1
    limited.register("reg_y", "reg_y@example.com", GOOD_PASSWORD, None, "10.4.0.2")


@pytest.mark.parametrize("password", [" " * 12, "a" * 12, "\u00e9" * 10])
def test_passwords_of_one_character_or_only_spaces_are_refused(service, password):
    with pytest.raises(Invalid) as caught:
        service.register("valid_name", "a@example.com", password)
    assert "password" in caught.value.details["fields"]


def test_profile_update_and_public_view_hide_private_fields(service, db):
    me = service.register("ivy", "ivy@example.com", GOOD_PASSWORD)
    updated = service.update_me(me["id"], display_name="Ivy V", bio="I write about rivers.")
    assert updated["display_name"] == "Ivy V"
    public = service.get_user("IVY")
    assert public["bio"] == "I write about rivers."
    assert "email" not in public and "following" not in public
    assert outbox_types(db) == ["user_registered", "user_updated"]
    with pytest.raises(Invalid):
        service.update_me(me["id"], display_name="")


def test_each_change_of_a_profile_carries_the_next_profile_version(service, db):
    """Consumers keep a person's names from the newest version whatever the order: registration 1, then one more
    each change, in the events and in list_trust (what a copy is rebuilt from); no change, no version."""
    me = service.register("ivy", "ivy@example.com", GOOD_PASSWORD, "Ivy")
    service.update_me(me["id"], display_name="Ivy V")
    service.update_me(me["id"], display_name="Ivy V")  # no change: no event
    service.update_me(me["id"], bio="Rivers.")
    with db.transaction() as tx:
        rows = tx.session.execute(OUTBOX.select().order_by(OUTBOX.c.id)).all()
    announced = [
        (row.event_type, row.payload["user"]["display_name"], row.payload["user"]["profile_version"]) for row in rows
    ]
    assert announced == [("user_registered", "Ivy", 1), ("user_updated", "Ivy V", 2), ("user_updated", "Ivy V", 3)]
    listed = service.list_trust()["items"]
    assert [(u["id"], u["display_name"], u["profile_version"]) for u in listed] == [(me["id"], "Ivy V", 3)]


def test_follow_is_idempotent_and_emits_once(service, db):
    jack = service.register("jack", "jack@example.com", GOOD_PASSWORD)
    service.register("kate", "kate@example.com", GOOD_PASSWORD)
    service.follow_user(jack["id"], "kate")
    service.follow_user(jack["id"], "kate")
    assert service.get_me(jack["id"])["following"] == ["kate"]
    assert service.get_user("kate")["follower_count"] == 1
    service.unfollow_user(jack["id"], "kate")
    service.unfollow_user(jack["id"], "kate")
    assert service.get_me(jack["id"])["following"] == []
    assert outbox_types(db).count("user_followed") == 1
    assert outbox_types(db).count("user_unfollowed") == 1
    with pytest.raises(Invalid):
        service.follow_user(jack["id"], "jack")
    with pytest.raises(NotFound):
        service.follow_user(jack["id"], "nobody_at_all")


def test_erase_needs_password_then_forgets_personal_data(service, db):
    me = service.register("liam", "liam@example.com", GOOD_PASSWORD)
    token = service.login("liam", GOOD_PASSWORD, "10.0.0.4")["token"]
    with pytest.raises(Forbidden):
        service.erase_me(me["id"], "not my password")
    service.erase_me(me["id"], GOOD_PASSWORD)
    with pytest.raises(Unauthenticated):
        service.authenticate(token)
    with pytest.raises(NotFound):
        service.get_user("liam")
    assert "user_erased" in outbox_types(db)
    with pytest.raises(Conflict) as caught:  # the username is held for 30 days
        service.register("liam", "liam2@example.com", GOOD_PASSWORD)
    assert "username" in caught.value.details["fields"]
    again = service.register("liam_again", "liam@example.com", GOOD_PASSWORD)
    assert again["id"] != me["id"]
    with db.transaction() as tx:
        tx.session.get(HeldUsername, "liam").until = utcnow() - timedelta(seconds=1)
    assert service.register("liam", "liam3@example.com", GOOD_PASSWORD)["username"] == "liam"


def test_get_users_batches_public_views(service):
    a = service.register("mona", "mona@example.com", GOOD_PASSWORD)
    b = service.register("nick", "nick@example.com", GOOD_PASSWORD)
    found = service.get_users([a["id"], b["id"], "missing"])
    assert set(found) == {a["id"], b["id"]}
    assert "email" not in found[a["id"]]
    assert service.get_people([a["id"], "missing"]) == {a["id"]: {"username": "mona", "display_name": "mona"}}


def test_common_password_list_is_loaded():
    assert len(passwords.common_passwords()) > 20000
    assert passwords.problems("password12") == ["This password is too common."]


def test_subwiki_memberships_follow_communities_events(service):
    me = service.register("olive", "olive@example.com", GOOD_PASSWORD)
    joined = {
        "event_id": "e-1",
        "occurred_at": "2026-11-25T00:00:00Z",
        "membership": {"user_id": me["id"], "subwiki": "rivers"},
    }
    service.handle_member_joined(joined)
    service.handle_member_joined(joined)
    service.handle_member_joined({**joined, "event_id": "e-2", "membership": {"user_id": me["id"], "subwiki": "birds"}})
    assert service.get_me(me["id"])["subwikis"] == ["birds", "rivers"]
    service.handle_member_left({**joined, "event_id": "e-3"})
    assert service.get_me(me["id"])["subwikis"] == ["birds"]
    assert "subwikis" not in service.get_user("olive")


def test_follow_events_carry_the_relation_s_version(service, db):
    uma = service.register("uma", "uma@example.com", GOOD_PASSWORD)
    service.register("vic", "vic@example.com", GOOD_PASSWORD)
    for _ in range(2):
        service.follow_user(uma["id"], "vic")
        service.unfollow_user(uma["id"], "vic")
    service.unfollow_user(uma["id"], "vic")
    with db.transaction() as tx:
        rows = tx.session.execute(OUTBOX.select().order_by(OUTBOX.c.id)).all()
    follows = [(row.event_type, row.payload["follow"]["version"]) for row in rows if "follow" in row.payload]
    assert follows == [("user_followed", 1), ("user_unfollowed", 2), ("user_followed", 3), ("user_unfollowed", 4)]


def test_membership_events_apply_only_when_newer(service):
    me = service.register("wes", "wes@example.com", GOOD_PASSWORD)

    def membership(n, version):
        return {
            "event_id": f"m-{n}",
            "occurred_at": "2026-11-25T00:00:00Z",
            "membership": {"user_id": me["id"], "subwiki": "rivers", "version": version},
        }

    service.handle_member_left(membership(2, 2))  # left...
    service.handle_member_joined(membership(1, 1))  # ...after joining, whose event arrives late
    assert service.get_me(me["id"])["subwikis"] == []
    service.handle_member_joined(membership(3, 3))
    service.handle_member_joined({**membership(1, 1), "event_id": "m-1-again"})
    assert service.get_me(me["id"])["subwikis"] == ["rivers"]


def test_idle_attempt_counts_are_forgotten(limited, db):
    with pytest.raises(Unauthenticated):
        limited.login("nobody_at_all", "wrong password!", "10.6.0.1")
    with db.transaction() as tx:
        tx.session.execute(RATE_LIMITS.update().values(updated_at=utcnow() - timedelta(days=2)))
    limited.forget_idle_limits()
    with db.transaction() as tx:
        assert tx.session.execute(RATE_LIMITS.select()).all() == []


def test_erasure_leaves_no_row_naming_the_account(service, db):
    from sqlalchemy import String, Text, text, update

    me = service.register("noor", "noor@example.com", GOOD_PASSWORD)
    other = service.register("omar", "omar@example.com", GOOD_PASSWORD)
    service.login("noor", GOOD_PASSWORD, "10.0.0.9")
    service.follow_user(me["id"], "omar")
    service.follow_user(other["id"], "noor")
    service.erase_me(me["id"], GOOD_PASSWORD)
    with db.transaction() as tx:
        (erased,) = [r.payload for r in tx.session.execute(OUTBOX.select()) if r.event_type == "user_erased"]
        tx.session.execute(update(OUTBOX).values(published_at=utcnow()))  # the relay sent them all
    service.handle_user_erased(erased)  # identity hears its own announcement: the last row naming the id
    with db.transaction() as tx:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, String | Text) or "JSON" in str(column.type):
                    statement = text(f'SELECT count(*) FROM "{table.name}" WHERE CAST("{column.name}" AS TEXT) LIKE :v')
                    assert not tx.session.execute(statement, {"v": f"%{me['id']}%"}).scalar(), table.name
    assert service.get_user("omar")["follower_count"] == 0


def test_follow_facts_carry_the_version_of_their_latest_event(service, db):
    jack = service.register("jack", "jack@example.com", GOOD_PASSWORD)
    kate = service.register("kate", "kate@example.com", GOOD_PASSWORD)
    service.follow_user(jack["id"], "kate")
    service.unfollow_user(jack["id"], "kate")
    service.follow_user(jack["id"], "kate")
    (item,) = service.list_follows()["items"]
    assert (item["follower_id"], item["followee_id"], item["version"]) == (jack["id"], kate["id"], 3)
