"""Input the platform cannot store or should never follow is refused at the door with a 400 (or
404), before any service sees it; every 405 says what is allowed; every 500 is logged with its id."""

import base64
import json
import logging

import pytest


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}
    return body["error"]


@pytest.fixture
def subwiki(services):
    services.on("communities", "get_subwiki", lambda *a, **k: {"slug": "s", "moderators": []})
    services.on("communities", "list_revisions", lambda *a, **k: {"items": [], "next_cursor": None})
    services.on("communities", "get_revision_diff", lambda *a, **k: {"editor_id": None})
    return services


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/subwikis/a%00b",
        "/api/v1/subwikis?q=a%00b",
        "/api/v1/subwikis?a%00=1",
        "/api/v1/users/x%00/support",
    ],
)
def test_nul_in_path_or_query_is_refused_before_any_service(client, services, path):
    response = client.get(path)
    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_error"
    assert services.calls == []


@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "x\udfffy", "\udc00"])
def test_unstorable_text_anywhere_in_a_json_body_is_refused(client, services, auth, text):
    for body in (
        {"slug": "abc", "name": text},
        {"slug": "abc", "name": "n", "description": text},
        {text: "unknown key"},
    ):
        raw = json.dumps(body).encode()  # ensure_ascii: the surrogate travels as \\udXXX
        response = client.post("/api/v1/subwikis", data=raw, headers={**auth, "Content-Type": "application/json"})
        assert response.status_code == 400, body
        assert error_of(response)["code"] == "validation_error"
    assert [call for call in services.calls if call[0] != "identity"] == []


def test_nul_in_a_header_is_refused(client, services):
    response = client.get("/api/v1/donations/campaign", headers={"X-Anything": "a\x00b"})
    assert response.status_code == 400
    assert services.calls == []


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_deeply_nested_json_is_a_400_not_a_recursion_error(client, services, auth, depth):
    raw = b"[" * depth + b"]" * depth
    response = client.post("/api/v1/subwikis", data=raw, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_error"
    nested_object = b'{"a":' * depth + b"1" + b"}" * depth
    response = client.post("/api/v1/auth/login", data=nested_object, headers={"Content-Type": "application/json"})
    assert response.status_code == 400


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", str(2**64), str(-(2**70))])
def test_absurd_numbers_in_a_body_are_refused(client, services, auth, number):
    raw = ('{"summary": "s", "base_revision": ' + number + "}").encode()
    response = client.patch("/api/v1/subwikis/abc", data=raw, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert [call for call in services.calls if call[0] != "identity"] == []


def cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "bad",
    [
        "not a cursor!",
        "%00",
        "x" * 600,
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        cursor({"k": [1e400, "id"]}).replace("1e400", "x"),
        base64.urlsafe_b64encode(b"[Infinity]").decode().rstrip("="),
        base64.urlsafe_b64encode(b"[NaN]").decode().rstrip("="),
        cursor([2**64]),
        cursor([-(2**64)]),
        cursor(["a\x00b"]),
        cursor({"k": [1, "\ud800"]}),
        cursor([[[[1]]]]),
        cursor([{"a": 1}]),
        cursor("just a string"),
        cursor(list(range(11))),
    ],
)
def test_tampered_cursors_are_refused(client, subwiki, bad):
    response = client.get(f"/api/v1/subwikis/s/revisions?cursor={bad}")
    assert response.status_code == 400, bad
    assert error_of(response)["code"] == "validation_error"
    assert not [call for call in subwiki.calls if call[1] == "list_revisions"]


def test_cursors_the_services_hand_out_pass(client, subwiki):
    for good in (cursor([42]), cursor(["2026-12-01T10:00:00+00:00", "abc"]), cursor({"k": [0.25, "p1"], "s": ["a"]})):
        assert client.get(f"/api/v1/subwikis/s/revisions?cursor={good}").status_code == 200


@pytest.mark.parametrize("query", ["limit=0", "limit=101", f"limit={10**30}", "diff=2"])
def test_out_of_range_numbers_and_unknown_parameters_in_queries_are_400(client, subwiki, query):
    response = client.get(f"/api/v1/subwikis/s/revisions?{query}")
    assert response.status_code == 400
    assert not [call for call in subwiki.calls if call[0] == "communities"]


def test_a_path_number_no_revision_can_have_is_404(client, services, auth):
    for number in (2**31, 10**30, 99999999999):
        response = client.post(f"/api/v1/subwikis/s/revisions/{number}/revert", headers=auth)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    assert [call for call in services.calls if call[0] != "identity"] == []


def test_405_says_which_methods_are_allowed(client):
    response = client.delete("/api/v1/donations/campaign")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "HEAD", "OPTIONS"}


def test_a_500_is_logged_with_the_request_id_the_client_got(client, services, remote, caplog):
    services.on("identity", "get_user", remote("KeyError", "'internals'"))
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/users/someone", headers={"X-Request-Id": "req-12345678"})
    assert response.status_code == 500
    assert error_of(response)["request_id"] == "req-12345678" == response.headers["X-Request-Id"]
    assert any("req-12345678" in record.getMessage() for record in caplog.records)


def test_an_undeclared_method_is_405_whatever_its_query(client):
    response = client.open("/api/v1/donations/campaign?cursor=0", method="TRACE")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_no_token_is_a_401_before_the_query_is_checked(client):
    # A signed-in operation asked anonymously with a bad cursor: what the caller must fix first is the token.
    answer = client.get("/api/v1/feed", query_string={"cursor": "\x01not a cursor", "limit": "1000"})
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthenticated"
    anonymous_read = client.get("/api/v1/feed/public", query_string={"cursor": "\x01not a cursor"})
    assert anonymous_read.status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/donations", {"amount_cents": 100, "currency": "EUR", "public": 0}),
        ("post", "/api/v1/donations", {"amount_cents": 100, "currency": "EUR", "public": "true"}),
        ("patch", "/api/v1/me/notification-settings", {"mention": 1}),
        ("put", "/api/v1/posts/p1/vote", {"value": "1"}),
        ("post", "/api/v1/notifications/read", {"up_to": "7"}),
        ("patch", "/api/v1/posts/p1", {"title": "t", "base_revision": "3"}),
    ],
)
def test_a_body_of_the_wrong_json_type_is_refused(client, services, auth, method, path, body):
    """The document says boolean or integer: 0, 1, "true" or "3" are refused, never read as one."""
    response = getattr(client, method)(path, json=body, headers={**auth, "Idempotency-Key": "k-1"})
    assert response.status_code == 400, response.get_json()
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == set(body) - {"amount_cents", "currency", "title"}, error
    assert [call for call in services.calls if call[0] != "identity"] == []


def test_a_request_s_query_is_read_by_a_schema_made_once_a_thread(client, services, monkeypatch):
    """Checking a query and reading it again in the view use one instance of its schema, made on a thread's first
    request (marshmallow copies every field of a schema it makes): none is made per request after it."""
    from gateway.schemas import CommentsQuery

    made = []
    original = CommentsQuery.__init__

    def counted(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(CommentsQuery, "__init__", counted)
    services.on("content", "list_comments", lambda *args: {"items": [], "next_cursor": None})
    for sort in ("new", "quality", "new"):
        assert client.get(f"/api/v1/posts/p1/comments?sort={sort}").status_code == 200
    assert client.get("/api/v1/posts/p1/comments?sort=worst").status_code == 400
    assert len(made) <= 1
