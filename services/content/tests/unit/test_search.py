"""Search on SQLite (words matched with LIKE): removed, deleted and erased content never shows; pages."""

import pytest

from svclib.exceptions import Invalid


def post(service, title, body="Some words.", author="bob"):
    return service.create_post(author, "rivers", "article", title, body=body)


def test_posts_are_found_and_removed_or_erased_ones_never(service):
    kept = post(service, "Salmon in the river", "They swim upstream.")
    gone = post(service, "Salmon farming", "Removed later.")
    post(service, "Salmon again", "By someone who leaves.", author="dan")
    post(service, "Nothing to see", "Only trout here.")
    service.remove_post("bob", gone["id"])
    service.handle_user_erased({"event_id": "e1", "user": {"id": "dan"}})
    found = service.search("salmon")
    assert [item["post"]["id"] for item in found["items"]] == [kept["id"]]
    assert found["items"][0]["post"]["subwiki"] == "rivers" and found["next_cursor"] is None
    assert service.search("upstream river", slug="rivers")["items"][0]["post"]["id"] == kept["id"]
    assert service.search("salmon", slug="elsewhere")["items"] == []


def test_comments_are_found_with_their_post(service):
    p = post(service, "A river")
    comment = service.create_comment("cat", p["id"], "Herons fish here at dawn.")
    deleted = service.create_comment("cat", p["id"], "Herons again.")
    service.remove_comment("cat", deleted["id"])
    found = service.search("herons", kind="comment")["items"]
    assert [item["comment"]["id"] for item in found] == [comment["id"]]
    assert found[0]["comment"]["author_id"] == "cat" and found[0]["post"]["title"] == "A river"


@pytest.mark.parametrize("sort", ["relevance", "quality", "new"])
def test_every_sort_pages_through_every_match_once(service, sort):
    made = {post(service, f"Otter {n}")["id"] for n in range(5)}
    service.vote("cat", "post", sorted(made)[2], 1)
    seen, cursor = [], None
    while True:
        page = service.search("otter", sort=sort, limit=2, cursor=cursor)
        seen += [item["post"]["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    if sort != "new":
        assert seen[0] == sorted(made)[2]


@pytest.mark.parametrize(
    "bad",
    [{"q": ""}, {"q": "x" * 201}, {"q": "x", "kind": "user"}, {"q": "x", "sort": "old"}, {"q": "x", "cursor": "!!"}],
)
def test_bad_parameters_are_refused(service, bad):
    with pytest.raises(Invalid):
        service.search(**bad)
