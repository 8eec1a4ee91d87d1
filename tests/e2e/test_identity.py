"""Identity through the public HTTP API of the running platform."""

import uuid

import requests

from devstack.infra import SERVICES

PASSWORD = "a long enough password"


def new_name(prefix="e2e"):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def test_register_login_me_follow_logout(api):
    name = new_name()
    registered = api.post(
        "/api/v1/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": PASSWORD, "display_name": "Eve Example"},
    )
    assert registered.status_code == 201
    assert registered.json()["user"]["username"] == name
    assert api.get("/api/v1/me", token=registered.json()["token"]).json()["username"] == name
    assert "password" not in registered.text and "password_hash" not in registered.text

    login = api.post("/api/v1/auth/login", json={"login": f"{name}@EXAMPLE.com", "password": PASSWORD})
    assert login.status_code == 200
    token = login.json()["token"]
    assert login.json()["expires_at"]

    me = api.get("/api/v1/me", token=token)
    assert me.status_code == 200
    assert {
        "id",
        "username",
        "display_name",
        "email",
        "bio",
        "created_at",
        "trust",
        "badges",
        "subwikis",
        "following",
    } <= set(me.json())
    assert me.json()["display_name"] == "Eve Example"

    other, _ = api.register("followee")
    assert api.put(f"/api/v1/users/{other['username']}/follow", token=token).status_code == 204
    assert api.put(f"/api/v1/users/{other['username']}/follow", token=token).status_code == 204
    assert api.get("/api/v1/me", token=token).json()["following"] == [other["username"]]
    assert api.get(f"/api/v1/users/{other['username']}").json()["follower_count"] == 1

    assert api.post("/api/v1/auth/logout", token=token).status_code == 204
    for _ in range(4):  # whichever gateway worker answers, the token is dead
        after = api.get("/api/v1/me", token=token)
        assert after.status_code == 401
        assert after.json()["error"]["code"] == "unauthenticated"


def test_public_profile_has_no_private_fields(api):
    user, token = api.register("public")
    assert api.patch("/api/v1/me", token=token, json={"bio": "Rivers and maps."}).status_code == 200
    public = api.get(f"/api/v1/users/{user['username'].upper()}")
    assert public.status_code == 200
    body = public.json()
    assert body["bio"] == "Rivers and maps."
    assert "email" not in body and "following" not in body


def test_duplicate_username_is_409_case_insensitively(api):
    user, _ = api.register("dup")
    again = api.post(
        "/api/v1/auth/register",
        json={"username": user["username"].upper(), "email": f"x{user['email']}", "password": PASSWORD},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert "username" in again.json()["error"]["fields"]


def test_invalid_fields_are_400_with_fields(api):
    response = api.post(
        "/api/v1/auth/register",
        json={"username": "no spaces allowed", "email": "not-an-email", "password": "password1234"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert {"username", "email", "password"} <= set(error["fields"])


def test_malformed_json_is_400(api):
    response = api.post("/api/v1/auth/login", data=b'{"login": "x", ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_two_mebibyte_body_is_413(api):
    response = api.post(
        "/api/v1/auth/register",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_over_long_request_lines_and_headers_are_refused_in_the_error_shape(api):
    for response, status, code in (
        (api.get("/api/v1/subwikis?q=" + "a" * 9000), 414, "request_line_too_long"),
        (api.get("/api/v1/subwikis", headers={"X-Long": "a" * 9000}), 431, "headers_too_large"),
        (api.get("/api/v1/subwikis", headers={f"X-Many-{n}": "1" for n in range(120)}), 431, "headers_too_large"),
    ):
        assert response.status_code == status
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == code


def test_unknown_route_is_404_json(api):
    response = api.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_login_is_rate_limited_per_account(api):
    user, _ = api.register("limited")
    statuses = [
        api.post("/api/v1/auth/login", json={"login": user["username"], "password": "wrong password!"}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    limited = api.post("/api/v1/auth/login", json={"login": user["username"], "password": PASSWORD})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"


def test_registration_reaches_every_service(api, wait_until):
    user, token = api.register("everywhere")

    def every_service_knows():
        export = api.get("/api/v1/me/export", token=token).json()
        return all(export[name].get("account") or export[name].get("profile") for name in SERVICES) and export

    export = wait_until(every_service_knows)
    for name in SERVICES[1:]:
        assert export[name]["account"]["id"] == user["id"]


def test_erasing_the_account_signs_out_and_anonymises(api):
    user, token = api.register("leaver")
    refused = api.delete("/api/v1/me", token=token, json={"password": "not the password"})
    assert refused.status_code == 403
    assert api.delete("/api/v1/me", token=token, json={"password": PASSWORD}).status_code == 204
    assert api.get("/api/v1/me", token=token).status_code == 401
    assert api.get(f"/api/v1/users/{user['username']}").status_code == 404


def test_health_readiness_metrics_and_openapi(api, stack):
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200
    assert set(ready.json()["checks"]) == {"broker", *SERVICES}
    assert api.get("/metrics").status_code == 404  # not on the public port
    metrics = requests.get(stack.metrics_url, timeout=10)
    assert "gateway_requests_total" in metrics.text and 'endpoint="/readyz"' in metrics.text
    assert "/api/v1/me" in api.get("/api/v1/openapi.json").json()["paths"]
