"""Validation, composition and authentication in the identity routes."""

from gateway.auth import TokenCache

ME = {"id": "u1", "username": "ann", "email": "ann@example.com", "following": [], "subwikis": []}


def test_register_validates_before_calling_identity(client, services):
    response = client.post("/api/v1/auth/register", json={"username": "a", "password": "short", "extra": 1})
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"username", "email", "password", "extra"}
    assert services.calls == []


def test_register_passes_fields_and_answers_201_with_a_session(client, services):
    services.on("identity", "register", lambda u, e, p, d, ip: {"id": "u9", "username": u, "email": e})
    session = {"token": "t9", "expires_at": "2030-01-01T00:00:00Z", "user": {"id": "u9", "username": "ann"}}
    services.on("identity", "login", lambda login, password, ip: session if password == "long enough pw" else None)
    response = client.post(
        "/api/v1/auth/register", json={"username": "ann", "email": "ann@example.com", "password": "long enough pw"}
    )
    assert response.status_code == 201
    assert response.get_json() == session


def test_login_sends_the_client_address_for_rate_limits(client, services):
    seen = {}

    def login(login, password, ip):
        seen["ip"] = ip
        return {"token": "t", "expires_at": "2030-01-01T00:00:00Z", "user": dict(ME)}

    services.on("identity", "login", login)
    response = client.post(
        "/api/v1/auth/login",
        json={"login": "ann", "password": "whatever pw"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert response.status_code == 200
    assert seen["ip"] == "203.0.113.9"
    assert response.get_json()["user"]["username"] == "ann"


def test_me_is_the_callers_private_view(client, services, auth):
    services.on("identity", "get_me", lambda user_id: {**ME, "id": user_id, "subwikis": ["birds"]})
    response = client.get("/api/v1/me", headers=auth)
    assert response.status_code == 200
    assert response.get_json()["subwikis"] == ["birds"]
    assert response.get_json()["id"] == "u1"


def test_token_checks_are_cached_and_revocations_evict(client, services, auth):
    services.on("identity", "get_me", lambda user_id: dict(ME))
    for _ in range(3):
        assert client.get("/api/v1/me", headers=auth).status_code == 200
    assert [c[1] for c in services.calls].count("authenticate") == 1
    services.tokens.revoke({"token_hashes": [TokenCache.key("good")]})
    client.get("/api/v1/me", headers=auth)
    assert [c[1] for c in services.calls].count("authenticate") == 2
    services.tokens.revoke({"user_id": "u1"})
    client.get("/api/v1/me", headers=auth)
    assert [c[1] for c in services.calls].count("authenticate") == 3


def test_a_caller_asked_for_while_a_revocation_arrived_is_not_kept():
    """A caller identity answered while a revocation (a logout, a change to their blocks) arrived may be from
    before it: not kept, so the next request asks again."""
    tokens = TokenCache(ttl=10)
    key = TokenCache.key("good")
    seen = tokens.drops()
    tokens.revoke({"token_hashes": [], "user_id": "u1"})
    tokens.put(key, {"id": "u1", "blocks": {"ids": [], "complete": True}}, seen)
    assert tokens.get(key) is None
    tokens.put(key, {"id": "u1", "blocks": {"ids": ["u2"], "complete": True}}, tokens.drops())
    assert tokens.get(key)["blocks"]["ids"] == ["u2"]


def test_logout_evicts_locally_and_revokes(client, services, auth):
    services.on("identity", "get_me", lambda user_id: dict(ME))
    services.on("identity", "logout", lambda token: None)
    client.get("/api/v1/me", headers=auth)
    assert client.post("/api/v1/auth/logout", headers=auth).status_code == 204
    assert services.tokens.get(TokenCache.key("good")) is None
    assert ("identity", "logout", ("good",), {}) in services.calls


def test_patch_me_refuses_unknown_fields(client, services, auth):
    response = client.patch("/api/v1/me", json={"email": "new@example.com"}, headers=auth)
    assert response.status_code == 400
    assert "email" in response.get_json()["error"]["fields"]


def test_follow_uses_the_caller_not_the_body(client, services, auth):
    services.on("identity", "follow_user", lambda follower, username: None)
    assert client.put("/api/v1/users/bob/follow", headers=auth).status_code == 204
    assert ("identity", "follow_user", ("u1", "bob"), {}) in services.calls


def test_export_asks_every_service(client, services, auth):
    for name in ("identity", "communities", "content", "feed", "donations"):
        services.on(name, "export_user", lambda user_id, name=name: {"from": name})
    body = client.get("/api/v1/me/export", headers=auth).get_json()
    assert body == {name: {"from": name} for name in ("identity", "communities", "content", "feed", "donations")}


def test_openapi_lists_the_identity_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/auth/register", "/api/v1/me", "/api/v1/users/{username}/follow"} <= set(spec["paths"])
    register = spec["paths"]["/api/v1/auth/register"]["post"]
    assert "requestBody" in register and "201" in register["responses"]


def test_metrics_are_prometheus_text_and_not_on_the_public_port(client):
    from gateway import metrics

    client.get("/healthz")
    assert client.get("/metrics").status_code == 404
    payload, _ = metrics.render()
    assert b"gateway_requests_total" in payload


def test_a_page_of_posts_costs_a_fixed_number_of_calls(client, services):
    from gateway import presenters

    posts = [
        {
            "id": f"p{n}",
            "author_id": f"u{n % 7}",
            "subwiki": f"s{n % 3}",
            "kind": "text",
            "title": "t",
            "created_at": "2026-12-01T00:00:00Z",
            "up": 1,
            "down": 0,
        }
        for n in range(25)
    ]
    services.on("identity", "get_people", lambda ids: {i: {"username": i, "display_name": i} for i in ids})
    services.on("communities", "get_subwikis", lambda slugs: {s: {"slug": s} for s in slugs})
    counted = {"up": 0, "down": 0, "comment_count": 2, "quality": 0.1234567}
    services.on("feed", "post_scores", lambda ids: {i: counted for i in ids if i != "p0"})
    with client.application.test_request_context():
        shown = presenters.posts(services, posts)
    assert len(shown) == 25 and shown[3]["author"]["username"] == "u3"
    # The feed's numbers where it holds the post, content's until it does.
    assert shown[3]["score"] == {"up": 0, "down": 0, "quality": 0.123457} and shown[3]["comment_count"] == 2
    assert shown[0]["score"] == {"up": 1, "down": 0, "quality": 0.0}
    assert [c[:2] for c in services.calls] == [
        ("identity", "get_people"),
        ("communities", "get_subwikis"),
        ("feed", "post_scores"),
    ]


def test_an_anonymous_donation_is_scoped_to_the_callers_address(client, services):
    seen = []

    def start(*args):
        seen.append(args)
        return {
            "donation_id": "d1",
            "status": "pending",
            "checkout_url": "http://gw/x",
            "amount_cents": 500,
            "currency": "EUR",
            "recipient": "platform",
            "recurring": "none",
        }

    services.on("donations", "start_donation", start)
    body = {"amount_cents": 500, "currency": "EUR"}
    for address in ("198.51.100.7", "203.0.113.9"):
        response = client.post(
            "/api/v1/donations", json=body, headers={"Idempotency-Key": "k"}, environ_base={"REMOTE_ADDR": address}
        )
        assert response.status_code == 201
    assert [args[0] for args in seen] == [None, None]
    assert [args[-1] for args in seen] == ["198.51.100.7", "203.0.113.9"]
