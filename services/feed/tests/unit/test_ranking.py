import math
from datetime import timedelta

import pytest

from feed import handlers, ranking
from feed.models import FeedPost
from svclib.db import isoformat, utcnow

NOW = utcnow()


class Events:
    """Feeds the service the events other services would publish."""

    def __init__(self, service):
        self.service = service
        self.n = 0

    def _id(self):
        self.n += 1
        return f"ev{self.n}"

    def post(self, post_id, author="a1", subwiki="s1", hours_old=0.0, now=None):
        created = isoformat((now or NOW) - timedelta(hours=hours_old))
        self.service.handle_post_created(
            {
                "event_id": self._id(),
                "post": {
                    "id": post_id,
                    "author_id": author,
                    "subwiki_id": subwiki,
                    "subwiki": f"slug_{subwiki}",
                    "kind": "text",
                    "title": post_id,
                    "created_at": created,
                    "revision": 1,
                },
            }
        )

    def trust(self, user, value):
        self.service.handle_user_trust_changed({"event_id": self._id(), "user": {"id": user, "trust": value}})

    def vote(self, post_id, voter, value=1):
        self.service.handle_vote_cast(
            {
                "event_id": self._id(),
                "vote": {"target_type": "post", "target_id": post_id, "voter_id": voter, "value": value},
            }
        )

    def comment(self, post_id, author, length=200):
        self.service.handle_comment_created(
            {
                "event_id": self._id(),
                "comment": {"id": f"c{self.n}", "post_id": post_id, "author_id": author, "length": length},
            }
        )


@pytest.fixture
def events(service):
    return Events(service)


def factors(item):
    return {r["factor"]: r["value"] for r in item["rank"]["reasons"]}


def test_the_formula_worked_by_hand():
    approval = ranking.approval(1.0, 0.0)
    assert approval == pytest.approx(1 / (1 + 1.96**2), abs=1e-6)
    quality = ranking.quality(1.0, 0.0, commenters=2, editors=5, penalty=0.0)
    assert quality == pytest.approx(approval + 0.15 * math.log(3) + 0.05 * 3)
    assert ranking.rank(quality, age_hours=24) == pytest.approx(quality / 2**0.8)


def test_nine_of_ten_trusted_beats_a_hundred_of_two_hundred():
    assert ranking.approval(9, 1) > ranking.approval(100, 100)


def test_items_explain_themselves(service, events):
    events.trust("t1", 1.0)
    events.post("p1", hours_old=24)
    events.vote("p1", "t1")
    for n in range(2):
        events.comment("p1", f"reader{n}")
    events.comment("p1", "reader0")
    events.comment("p1", "short", length=10)
    (item,) = service.public_feed(window="all")["items"]
    f = factors(item)
    assert f["up_weight"] == 1.0 and f["substantive_commenters"] == 2
    assert f["approval"] == pytest.approx(0.206543, abs=1e-6)
    assert f["discussion"] == pytest.approx(0.15 * math.log(3), abs=1e-6)
    assert f["age_hours"] == pytest.approx(24, abs=0.5)
    assert f["decay"] == pytest.approx((1 + f["age_hours"] / 24) ** 0.8, abs=1e-5)
    assert item["rank"]["score"] == pytest.approx((f["approval"] + f["discussion"]) / f["decay"], abs=1e-5)


def test_quality_order_worked_by_hand(service, events):
    events.trust("t1", 1.0)
    events.trust("t2", 1.0)
    events.post("fresh_unvoted", author="a1")
    events.post("old_loved", author="a2", hours_old=72)
    events.post("fresh_loved", author="a3")
    for post in ("old_loved", "fresh_loved"):
        events.vote(post, "t1")
        events.vote(post, "t2")
    order = [i["post_id"] for i in service.public_feed(window="all")["items"]]
    assert order == ["fresh_loved", "old_loved", "fresh_unvoted"]
    newest = [i["post_id"] for i in service.public_feed(sort="new", window="all")["items"]]
    assert newest[-1] == "old_loved"


def test_a_brigade_of_new_accounts_moves_less_than_two_trusted_votes(service, events):
    events.post("brigaded", author="a1")
    events.post("endorsed", author="a2")
    for n in range(20):
        events.vote("brigaded", f"new{n}")
    for n in range(2):
        events.trust(f"trusted{n}", 1.0)
        events.vote("endorsed", f"trusted{n}")
    items = {i["post_id"]: factors(i) for i in service.public_feed(window="all")["items"]}
    assert items["brigaded"]["approval"] < items["endorsed"]["approval"]


def test_at_most_two_posts_per_author_on_a_page(service, events):
    for n in range(6):
        events.post(f"prolific{n}", author="busy")
    for n in range(3):
        events.post(f"other{n}", author=f"author{n}")
    page = service.public_feed(window="all", limit=5)
    authors = [i["author_id"] for i in page["items"]]
    assert authors.count("busy") <= 2 and len(authors) == 5
    newest = [i["author_id"] for i in service.public_feed(sort="new", window="all", limit=5)["items"]]
    assert newest.count("busy") == 5
    assert len(service.user_posts("busy", limit=10)["items"]) == 6


def test_one_slot_goes_to_a_good_post_by_a_new_creator(service, events):
    events.trust("t1", 1.0)
    events.trust("t2", 1.0)
    for n in range(12):
        author = f"veteran{n % 6}"
        events.post(f"vet{n}", author=author, hours_old=n)
        events.vote(f"vet{n}", "t1")
    for author in [f"veteran{n}" for n in range(6)]:
        for extra in range(10):
            events.post(f"{author}_old{extra}", author=author, hours_old=500 + extra)
    events.post("newcomer_post", author="newcomer", hours_old=200)
    events.vote("newcomer_post", "t1")
    events.vote("newcomer_post", "t2")
    first = service.public_feed(window="all", limit=5)
    promoted = [i for i in first["items"] if "new_creator_slot" in factors(i)]
    assert [i["post_id"] for i in promoted] == ["newcomer_post"]
    rest = []
    cursor = first["next_cursor"]
    while cursor:
        page = service.public_feed(window="all", limit=5, cursor=cursor)
        rest += [i["post_id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert "newcomer_post" not in rest


def test_pages_do_not_repeat_and_removed_posts_leave_at_once(service, events):
    for n in range(30):
        events.post(f"p{n:02}", author=f"author{n}", hours_old=n)
    seen, cursor = [], None
    while True:
        page = service.public_feed(sort="new", window="all", limit=7, cursor=cursor)
        seen += [i["post_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"p{n:02}" for n in range(30)]
    service.handle_post_removed({"event_id": "rm", "post": {"id": "p00"}})
    assert "p00" not in [i["post_id"] for i in service.public_feed(sort="new", window="all")["items"]]


def test_home_feed_is_joined_subwikis_and_followed_people(service, events):
    events.post("in_joined", author="x", subwiki="joined")
    events.post("by_followed", author="friend", subwiki="elsewhere")
    events.post("unrelated", author="y", subwiki="elsewhere")
    service.handle_member_joined({"event_id": "m", "membership": {"user_id": "me", "subwiki_id": "joined"}})
    service.handle_user_followed({"event_id": "f", "follow": {"follower_id": "me", "followee_id": "friend"}})
    home = {i["post_id"] for i in service.home_feed("me", sort="new")["items"]}
    assert home == {"in_joined", "by_followed"}


def test_home_feed_caps_each_subwiki_at_five(service, events):
    for n in range(8):
        events.post(f"busy{n}", author=f"author{n}", subwiki="busy")
    events.post("quiet", author="z", subwiki="quiet")
    for subwiki in ("busy", "quiet"):
        service.handle_member_joined({"event_id": subwiki, "membership": {"user_id": "me", "subwiki_id": subwiki}})
    page = service.home_feed("me", sort="quality", limit=10)
    subwikis = [i["subwiki"] for i in page["items"]]
    assert subwikis.count("slug_busy") == 5 and "slug_quiet" in subwikis


def test_upheld_report_penalises_and_decay_refresh_is_batched(service, events, db):
    events.trust("t1", 1.0)
    events.post("p", hours_old=0)
    events.vote("p", "t1")
    before = factors(service.public_feed(window="all")["items"][0])["quality"]
    service.handle_report_resolved(
        {"event_id": "r", "report": {"action": "uphold", "target_type": "post", "target_id": "p"}}
    )
    after = factors(service.public_feed(window="all")["items"][0])
    assert after["quality"] == pytest.approx(before - 0.3) and after["penalties"] == -0.3
    with db.transaction() as tx:
        assert handlers.refresh_decay(tx, NOW + timedelta(hours=2)) == 1
        assert handlers.refresh_decay(tx, NOW + timedelta(hours=2)) == 0


def test_bad_sort_window_and_cursor(service):
    from svclib.exceptions import Invalid

    for kwargs in ({"sort": "hot"}, {"window": "year"}, {"cursor": "nope"}, {"limit": 0}):
        with pytest.raises(Invalid):
            service.public_feed(**kwargs)


def test_old_posts_are_rescored_less_often_than_new_ones(service, events, db):
    assert ranking.refresh_after_hours(0) == pytest.approx(0.01 * 24 / 0.8)
    assert ranking.refresh_after_hours(720) == pytest.approx(0.01 * 744 / 0.8)
    events.trust("t1", 1.0)
    start = utcnow()  # the posts' ages are counted from here, however long earlier tests took
    for post_id, hours_old in (("new", 0), ("old", 24 * 20)):
        events.post(post_id, hours_old=hours_old, now=start)
        events.vote(post_id, "t1")
    with db.transaction() as tx:
        # 20 minutes on, the new post's rank has drifted by 1 %, the 20-day-old one's far less.
        assert handlers.refresh_decay(tx, start + timedelta(minutes=20)) == 1
        assert handlers.refresh_decay(tx, start + timedelta(minutes=20)) == 0
    for post_id, hours_old in (("new", 0), ("old", 480)):
        with db.transaction() as tx:
            row = tx.session.get(FeedPost, post_id)
            # Until it is due, the stored rank stays within 1 % of the rank the post's age gives.
            due_age = hours_old + (row.refresh_due - start).total_seconds() / 3600
            assert ranking.rank(row.quality, due_age) / row.rank == pytest.approx(0.99, abs=0.002)
    with db.transaction() as tx:
        assert handlers.refresh_decay(tx, start + timedelta(hours=7)) == 2


def test_a_trust_change_arriving_after_a_newer_one_is_ignored(service, events):
    events.post("p")
    events.vote("p", "voter")
    newer, older = isoformat(NOW), isoformat(NOW - timedelta(seconds=1))
    for event_id, trust, occurred_at in (("t-new", 0.9, newer), ("t-old", 0.2, older)):
        service.handle_user_trust_changed(
            {"event_id": event_id, "occurred_at": occurred_at, "user": {"id": "voter", "trust": trust}}
        )
    assert factors(service.public_feed(window="all")["items"][0])["up_weight"] == pytest.approx(0.81)


def test_entries_are_plain_data_and_post_scores_match_them(service, events, db):
    events.trust("t1", 1.0)
    events.post("p1", author="a1")
    events.vote("p1", "t1")
    events.comment("p1", "reader")
    (entry,) = service.public_feed(window="all")["items"]
    assert entry["author_username"] is None and entry["image_file"] is None and "post" not in entry
    assert (entry["up"], entry["down"], entry["comment_count"]) == (1, 0, 1)
    assert service.post_scores(["p1", "unknown"]) == {
        "p1": {"up": 1, "down": 0, "comment_count": 1, "quality": entry["quality"]}
    }


def test_post_cards_carry_the_names_and_numbers_of_the_feeds_entries(service, events):
    events.trust("t1", 1.0)
    events.post("p1", author="a1")
    events.vote("p1", "t1")
    (entry,) = service.public_feed(window="all")["items"]
    assert service.post_cards(["p1", "unknown"]) == {
        "p1": {
            "author_id": entry["author_id"],
            "author_username": entry["author_username"],
            "author_display_name": entry["author_display_name"],
            "subwiki": entry["subwiki"],
            "subwiki_name": entry["subwiki_name"],
            "up": 1,
            "down": 0,
            "comment_count": 0,
            "quality": entry["quality"],
        }
    }
    assert service.post_cards([]) == {}


def test_quality_pages_never_show_a_post_twice(service, events):
    events.trust("t1", 1.0)
    events.trust("t2", 1.0)
    for n in range(10):
        events.post(f"p{n}", author=f"new{n}", hours_old=n)
    for n in range(3):
        events.vote(f"p{n}", "t1")
        events.vote(f"p{n}", "t2")
    seen, cursor = [], None
    while True:
        page = service.public_feed(window="all", limit=2, cursor=cursor)
        seen += [i["post_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == [f"p{n}" for n in range(10)]


def test_a_vote_on_ones_own_post_does_not_raise_its_rank(service, events):
    events.trust("a1", 1.0)
    events.trust("t1", 1.0)
    events.post("own", author="a1")
    events.post("other", author="a2")
    events.vote("own", "a1")
    events.vote("other", "a1")
    items = {i["post_id"]: i for i in service.public_feed(window="all")["items"]}
    # Shown (the author sees the vote they cast), weighing nothing in the ranking.
    assert factors(items["own"])["up_weight"] == 0 and items["own"]["up"] == 1
    assert factors(items["other"])["up_weight"] == 1.0
    # A change of the author's trust does not give their own vote a weight.
    events.trust("a1", 0.5)
    items = {i["post_id"]: i for i in service.public_feed(window="all")["items"]}
    assert factors(items["own"])["up_weight"] == 0 and items["own"]["up"] == 1
    assert factors(items["other"])["up_weight"] == 0.25
    events.vote("own", "t1")
    assert factors(service.public_feed(window="all")["items"][0])["up_weight"] == 1.0


def test_a_trust_value_older_than_the_one_held_is_ignored_by_its_version(service, events):
    events.post("p")
    events.vote("p", "voter")
    for event_id, trust, version in (("t-2", 0.9, 2), ("t-1", 0.2, 1), ("t-2-again", 0.5, 2)):
        service.handle_user_trust_changed(
            {"event_id": event_id, "user": {"id": "voter", "trust": trust, "version": version}}
        )
    assert factors(service.public_feed(window="all")["items"][0])["up_weight"] == pytest.approx(0.81)


def test_memberships_and_follows_follow_their_newest_version(service, events):
    events.post("in_joined", author="x", subwiki="joined")
    events.post("by_followed", author="friend", subwiki="elsewhere")
    membership = {"user_id": "me", "subwiki_id": "joined"}
    follow = {"follower_id": "me", "followee_id": "friend"}
    # Joined (2) and followed (2) after leaving (1) and unfollowing (1); the older events come last.
    service.handle_member_joined({"event_id": "m2", "membership": {**membership, "version": 2}})
    service.handle_member_left({"event_id": "m1", "membership": {**membership, "version": 1}})
    service.handle_user_followed({"event_id": "f2", "follow": {**follow, "version": 2}})
    service.handle_user_unfollowed({"event_id": "f1", "follow": {**follow, "version": 1}})
    assert {i["post_id"] for i in service.home_feed("me", sort="new")["items"]} == {"in_joined", "by_followed"}
    service.handle_member_left({"event_id": "m3", "membership": {**membership, "version": 3}})
    assert {i["post_id"] for i in service.home_feed("me", sort="new")["items"]} == {"by_followed"}


def test_a_ring_of_twenty_new_accounts_voting_for_each_other_stays_off_the_first_page(service, events):
    """Twenty new accounts (trust 0.1, identity's floor) each post once and up-vote the other nineteen; fifteen
    established members post twice each, their posts up-voted by one to three of each other. No post of the
    ring is on the front page's first page, nor in its new-creator slot; the ring's posts are still there,
    further down."""
    members = [f"member{n:02}" for n in range(15)]
    for n, member in enumerate(members):
        events.trust(member, 0.5 + 0.03 * n)
    for n, member in enumerate(members):
        for k in range(2):
            post_id = f"{member}_post{k}"
            events.post(post_id, author=member, hours_old=n + 12 * k)
            for j in range(1, 2 + (n + k) % 3):
                events.vote(post_id, members[(n + j) % len(members)])
    ring = [f"ring{n:02}" for n in range(20)]
    for n, person in enumerate(ring):
        events.trust(person, 0.1)
        events.post(f"{person}_post", author=person, hours_old=n * 0.1)
    for voter in ring:
        for person in ring:
            if person != voter:
                events.vote(f"{person}_post", voter)
    first = service.public_feed(window="all")
    assert len(first["items"]) == 25
    assert [i["post_id"] for i in first["items"] if i["author_id"] in ring] == []
    later, cursor = [], first["next_cursor"]
    while cursor:
        page = service.public_feed(window="all", cursor=cursor)
        later += [i["post_id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert {f"{person}_post" for person in ring} <= set(later)


def test_reasons_written_out_are_the_loop_over_the_factors_value_for_value():
    """``ranking.reasons`` writes each factor out and takes a count's discussion and improvement worked out
    once: the same list, the same values and types, as the loop over ``REASONS`` any configuration takes."""
    import json
    import random
    from types import SimpleNamespace

    draw = random.Random(7)
    weights = [0.0, -0.0, 1.0, 0.1 + 0.2, 1e-7, 123.4567894, 2.5e-6]
    for _ in range(3000):
        post = SimpleNamespace(
            up_weight=draw.choice([*weights, draw.random() * 50]),
            down_weight=draw.choice([*weights, draw.random() * 5]),
            approval=draw.random(),
            commenters=draw.choice([0, 1, 2, 255, 256, 1000, draw.randrange(300)]),
            editors=draw.choice([0, 1, 3, 4, 255, 256, draw.randrange(300)]),
            penalty=draw.choice([0.0, -0.0, 0.3, 0.6000000000000001, draw.random()]),
            quality=draw.uniform(-1, 3),
        )
        age = draw.choice([0.0, -1.0, 1e-9, draw.random() * 10_000])
        written, looped = ranking.reasons(post, age), ranking._reasons(post, age, ranking.CONFIG)
        assert json.dumps(written) == json.dumps(looped)
        assert [type(r["value"]) for r in written] == [float] * len(ranking.REASONS)
        assert [r["factor"] for r in written] == list(ranking.REASONS)
    other = ranking.RankingConfig(DISCUSSION=0.5)
    post = SimpleNamespace(
        up_weight=1.0, down_weight=0.0, approval=0.2, commenters=3, editors=1, penalty=0.0, quality=1.0
    )
    assert ranking.reasons(post, 2.0, other)[4]["value"] == round(0.5 * math.log1p(3), 6)
