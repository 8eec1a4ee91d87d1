"""A post's page (the post with a page of its discussion) a client keeps and revalidates: while nothing it was made
from changed, the gateway answers 304 without asking content; each change to it (a comment, a vote, its author's
new name, its subwiki's summary) makes the next revalidation a 200 with the change (gateway.pagetags,
content.kept.pages_changed, gateway.summaries)."""

import time
import uuid

import requests

from tests.e2e.test_feed_revalidation import rpc_calls


def content_asked(stack) -> float:
    return rpc_calls(stack, "content", "post_page")


def test_a_revalidated_post_page_is_not_asked_of_content_until_a_change_touches_it(api, stack, wait_until):
    _, author = api.register("revalauthor")
    _, reader = api.register("revalpostreader")
    _, commenter = api.register("revalcommenter")
    slug = f"revalpost_{uuid.uuid4().hex[:8]}"
    wait_until(
        lambda: api.post("/api/v1/subwikis", token=author, json={"slug": slug, "name": "Kept"}).status_code == 201
    )
    for token in (reader, commenter):
        wait_until(
            lambda t=token: api.put(f"/api/v1/subwikis/{slug}/membership", token=t).status_code in (200, 201, 204)
        )
    post = api.post(
        f"/api/v1/subwikis/{slug}/posts", token=author, json={"kind": "text", "title": "Kept", "body": "Hello."}
    ).json()
    first = wait_until(
        lambda: (
            (
                answer := api.post(f"/api/v1/posts/{post['id']}/comments", token=commenter, json={"body": "First."})
            ).status_code
            == 201
            and answer.json()
        )
    )
    page_path = f"/api/v1/posts/{post['id']}?comments=quality"

    def revalidate(tag: str) -> requests.Response:
        return api.get(page_path, token=reader, headers={"If-None-Match": tag})

    def settled(tag: str) -> bool:
        # Every gateway process has worked the page out once since the last change it heard (and the grace
        # after it): ten revalidations in a row are 304s content was not asked for.
        asked = content_asked(stack)
        answers = [revalidate(tag) for _ in range(10)]
        return all(a.status_code == 304 for a in answers) and content_asked(stack) == asked

    def held(tag: str) -> None:
        wait_until(lambda: (time.sleep(0.5), settled(tag))[1], timeout=30)
        asked = content_asked(stack)
        answers = [revalidate(tag) for _ in range(20)]
        assert [a.status_code for a in answers] == [304] * 20
        assert all(a.headers["ETag"] == tag and not a.content for a in answers)
        assert content_asked(stack) == asked

    def changed(tag: str, shows) -> str:
        answer = wait_until(lambda: (a := revalidate(tag)).status_code == 200 and shows(a.json()) and a, timeout=30)
        new_tag = answer.headers["ETag"]
        assert new_tag != tag
        # The new answer is the one a client keeping nothing gets.
        assert api.get(page_path, token=reader).json() == answer.json()
        held(new_tag)
        return new_tag

    page = api.get(page_path, token=reader)
    assert [c["id"] for c in page.json()["comments"]["items"]] == [first["id"]]
    tag = page.headers["ETag"]
    held(tag)

    # A comment on the post.
    reply = api.post(f"/api/v1/posts/{post['id']}/comments", token=commenter, json={"body": "Second."}).json()
    tag = changed(tag, lambda shown: reply["id"] in [c["id"] for c in shown["comments"]["items"]])
    # Another member's vote on the post.
    assert api.put(f"/api/v1/posts/{post['id']}/vote", token=commenter, json={"value": 1}).status_code == 200
    # Its count at once (content's), then the quality the feed announces with the others of that second.
    tag = changed(tag, lambda shown: shown["score"]["up"] == 1 and shown["score"]["quality"] > 0)
    # The author's new name (identity's event, applied by content).
    assert api.patch("/api/v1/me", token=author, json={"display_name": "Renamed Author"}).status_code == 200
    tag = changed(tag, lambda shown: shown["author"]["display_name"] == "Renamed Author")
    # The reader's own comment, read back at once as the site reads it after a write (Cache-Control: no-cache):
    # worked out, not answered from the tag held until content's broadcast arrives a moment later.
    own = api.post(f"/api/v1/posts/{post['id']}/comments", token=reader, json={"body": "Mine."}).json()
    mine = api.get(page_path, token=reader, headers={"If-None-Match": tag, "Cache-Control": "no-cache"})
    assert mine.status_code == 200 and own["id"] in [c["id"] for c in mine.json()["comments"]["items"]]
    tag = mine.headers["ETag"]
    held(tag)
    # The subwiki's summary (communities' broadcast drops the one the gateway holds).
    edit = {"summary": "Kept, and said so.", "base_revision": 1}
    assert api.patch(f"/api/v1/subwikis/{slug}", token=author, json=edit).status_code == 200
    changed(tag, lambda shown: shown["subwiki"]["summary"] == "Kept, and said so.")
