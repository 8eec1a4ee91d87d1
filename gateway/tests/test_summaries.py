"""Subwikis' summaries kept by a gateway process while it hears communities tell what changes them."""

import time

from gateway.summaries import SubwikiSummaries

POST = {
    "id": "p1",
    "kind": "text",
    "title": "Rivers",
    "body": "",
    "body_html": "",
    "url": None,
    "image_file": None,
    "author_id": "u1",
    "author_names": {"username": "ann", "display_name": "Ann"},
    "subwiki": "rivers",
    "created_at": "2026-12-01T10:00:00+00:00",
    "revision": 1,
    "edited_by_count": 0,
    "protected": False,
    "up": 0,
    "down": 0,
    "comment_count": 0,
    "quality": 0.0,
}


def serve(services, summaries: SubwikiSummaries | None) -> list[int]:
    """A post in rivers; communities answers its summary with the members it counts now (``counted[0]``)."""
    counted = [3]
    services.summaries = summaries
    services.on("content", "get_post", lambda post_id, viewer_id: dict(POST))
    services.on(
        "communities",
        "get_subwikis",
        lambda slugs: {"rivers": {"slug": "rivers", "name": "Rivers", "member_count": counted[0]}},
    )
    return counted


def members(client) -> int:
    return client.get("/api/v1/posts/p1").get_json()["subwiki"]["member_count"]


def asked(services) -> int:
    return [c[1] for c in services.calls].count("get_subwikis")


def test_a_summary_is_asked_once_and_asked_again_when_communities_tells_it_changed(client, services):
    summaries = SubwikiSummaries(ttl=300)
    summaries.hearing(True)
    counted = serve(services, summaries)
    assert [members(client) for _ in range(3)] == [3, 3, 3] and asked(services) == 1
    counted[0] = 4
    summaries.forget({"slugs": ["other"]})
    assert members(client) == 3 and asked(services) == 1  # another subwiki's change
    summaries.forget({"slugs": ["RIVERS"]})
    assert members(client) == 4 and asked(services) == 2
    counted[0] = 5
    summaries.forget({"slugs": None})  # any of them may have changed
    assert members(client) == 5 and members(client) == 5 and asked(services) == 3


def test_nothing_is_kept_while_the_broadcasts_are_not_heard_nor_from_an_answer_older_than_a_change(client, services):
    """Before its connection to communities' exchange is up, and after it is lost, a process keeps nothing
    (a change may go unheard); an answer asked for before a change was told may predate it: not kept."""
    summaries = SubwikiSummaries(ttl=300)
    counted = serve(services, summaries)
    assert [members(client) for _ in range(2)] == [3, 3] and asked(services) == 2
    summaries.hearing(True)
    summaries.hearing(False)
    assert [members(client) for _ in range(2)] == [3, 3] and asked(services) == 4

    summaries.hearing(True)

    def answered_as_a_change_is_told(slugs):
        summary = {"rivers": {"slug": "rivers", "name": "Rivers", "member_count": counted[0]}}
        counted[0] = 6
        summaries.forget({"slugs": ["rivers"]})
        return summary

    services.on("communities", "get_subwikis", answered_as_a_change_is_told)
    assert members(client) == 3
    serve(services, summaries)[0] = 6
    assert members(client) == 6 and asked(services) == 6


def test_a_summary_is_kept_for_a_bounded_time_and_not_at_all_with_no_time(client, services):
    summaries = SubwikiSummaries(ttl=0)
    summaries.hearing(True)
    serve(services, summaries)
    members(client), members(client)
    assert asked(services) == 2
    bounded = SubwikiSummaries(ttl=300)
    bounded.hearing(True)
    serve(services, bounded)
    keep = bounded.keeper(["rivers"])
    keep({"rivers": {"slug": "rivers", "name": "Rivers", "member_count": 3}})
    assert bounded.held(["rivers"]) is not None
    brief = SubwikiSummaries(ttl=0.01)
    brief.hearing(True)
    brief.keeper(["rivers"])({"rivers": {"slug": "rivers"}})
    time.sleep(0.05)
    assert brief.held(["rivers"]) is None
