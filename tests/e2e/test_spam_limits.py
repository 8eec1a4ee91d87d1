"""The spam defences driven by trust, switched on, on a stack of its own: a new account's limits answered 429
with Retry-After in the API's error shape, the same post again 409 duplicate, too many links 400."""

import uuid

import pytest

from devstack.client import Api

WINDOW = 1_000_000_000


@pytest.fixture(scope="module")
def own_stack(stack_factory):
    # Windows so long that none ends during the test (a fixed window's end would start a fresh count).
    windows = {f"RATE_LIMIT_{action}_NEW_WINDOW_SECONDS": str(WINDOW) for action in ("POSTS", "COMMENTS", "SUBWIKIS")}
    return stack_factory(SPAM_DEFENCES="on", RATE_LIMIT_POSTS_NEW_LIMIT="2", **windows)


@pytest.fixture
def api(own_stack):
    return Api(own_stack.gateway_url)


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


def test_a_new_accounts_limits_answer_429_with_retry_after(api):
    founder, founder_token = api.register("founder")
    newbie, newbie_token = api.register("newbie")
    slug = f"limits_{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/subwikis", token=founder_token, json={"slug": slug, "name": "Limits"}).status_code == 201
    second = api.post("/api/v1/subwikis", token=founder_token, json={"slug": f"{slug}_2", "name": "More"})
    refused(second, 429, "rate_limited")  # one subwiki a day for a new account
    assert 0 < int(second.headers["Retry-After"]) <= WINDOW
    assert api.put(f"/api/v1/subwikis/{slug}/membership", token=newbie_token).status_code == 204

    def write(title, body="Words.", token=newbie_token):
        return api.post(
            f"/api/v1/subwikis/{slug}/posts", token=token, json={"kind": "text", "title": title, "body": body}
        )

    first = write("First")
    assert first.status_code == 201
    refused(write("First"), 409, "duplicate")  # the same post again, refused and not counted
    links = refused(write("Links", "https://a.example https://b.example https://c.example"), 400, "validation_error")
    assert "body" in links["fields"]
    assert write("Second").status_code == 201
    third = write("Third")
    refused(third, 429, "rate_limited")
    assert 0 < int(third.headers["Retry-After"]) <= WINDOW
    assert write("Someone else's", token=founder_token).status_code == 201  # counted per person

    post_id = first.json()["id"]
    for n in range(3):
        made = api.post(f"/api/v1/posts/{post_id}/comments", token=newbie_token, json={"body": f"Comment {n}"})
        assert made.status_code == 201, made.text
    refused(
        api.post(f"/api/v1/posts/{post_id}/comments", token=newbie_token, json={"body": "Comment 0"}), 409, "duplicate"
    )
    fourth = api.post(f"/api/v1/posts/{post_id}/comments", token=newbie_token, json={"body": "Comment 3"})
    refused(fourth, 429, "rate_limited")
    assert 0 < int(fourth.headers["Retry-After"]) <= WINDOW
