"""Every error the gateway answers has the API's shape; the error table is complete."""

import pytest

from gateway.errors import REMOTE_ERRORS
from gateway.rpc import ServiceUnavailable


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


@pytest.mark.parametrize(
    ("exc_type", "status", "code"),
    [
        ("Invalid", 400, "validation_error"),
        ("Unauthenticated", 401, "unauthenticated"),
        ("Forbidden", 403, "forbidden"),
        ("NotFound", 404, "not_found"),
        ("Conflict", 409, "conflict"),
        ("Duplicate", 409, "duplicate"),
        ("PayloadTooLarge", 413, "payload_too_large"),
        ("RateLimited", 429, "rate_limited"),
    ],
)
def test_error_table_maps_each_declared_exception(client, services, remote, exc_type, status, code):
    services.on("identity", "get_user", remote(exc_type, "from the service", retry_after=7))
    response = client.get("/api/v1/users/someone")
    assert response.status_code == status
    assert error_of(response) == {"code": code, "message": "from the service"}
    if status == 429:
        assert response.headers["Retry-After"] == "7"


def test_a_service_that_lost_its_database_is_a_retryable_503(client, services, remote):
    services.on("identity", "get_user", remote("Unavailable", "The service could not reach its database."))
    response = client.get("/api/v1/users/someone")
    assert response.status_code == 503
    assert error_of(response)["code"] == "unavailable"
    assert response.headers["Retry-After"] == "5"


def test_table_covers_every_declared_error_class():
    from svclib import exceptions

    declared = {
        cls.__name__ for cls in exceptions.ServiceError.__subclasses__() if cls.__module__ == exceptions.__name__
    }
    assert declared <= set(REMOTE_ERRORS)


def test_field_errors_from_a_service_are_passed_on(client, services, remote):
    services.on(
        "identity",
        "register",
        remote("Conflict", "Already registered.", fields={"username": ["This username is taken."]}),
    )
    response = client.post(
        "/api/v1/auth/register", json={"username": "ann", "email": "a@example.com", "password": "long enough pw"}
    )
    assert response.status_code == 409
    assert error_of(response)["fields"] == {"username": ["This username is taken."]}


def test_undeclared_remote_error_is_a_500_with_request_id_and_no_trace(client, services, remote):
    services.on("identity", "get_user", remote("KeyError", "'secret internals'"))
    response = client.get("/api/v1/users/someone", headers={"X-Request-Id": "req-12345678"})
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal_error"
    assert error["request_id"] == "req-12345678"
    assert "secret" not in response.get_data(as_text=True)


def test_a_bug_in_the_gateway_is_a_500_without_stack_trace(client, services):
    services.on("identity", "get_user", lambda username: 1 / 0)
    response = client.get("/api/v1/users/someone")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "ZeroDivision" not in text
    assert error_of(response)["request_id"] == response.headers["X-Request-Id"]


def test_unavailable_service_is_503(client, services):
    def down(*_args):
        raise ServiceUnavailable("identity")

    services.on("identity", "get_user", down)
    response = client.get("/api/v1/users/someone")
    assert response.status_code == 503
    assert error_of(response)["code"] == "unavailable"
    assert response.headers["Retry-After"] == "5"


def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_wrong_method_is_json_405(client):
    response = client.delete("/api/v1/auth/login")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_body_over_one_mebibyte_is_413(client):
    response = client.post("/api/v1/auth/register", data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/login", data=b'{"login": ', content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_json_that_is_not_an_object_is_400(client):
    response = client.post("/api/v1/auth/login", json=["login", "password"])
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_missing_token_is_401(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_revoked_token_is_401(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer revoked"})
    assert response.status_code == 401


def test_request_id_is_echoed_or_created(client, services):
    services.on("identity", "get_user", lambda username: {"username": username})
    given = client.get("/api/v1/users/ann", headers={"X-Request-Id": "abcdef0123456789"})
    assert given.headers["X-Request-Id"] == "abcdef0123456789"
    made = client.get("/api/v1/users/ann", headers={"X-Request-Id": "bad id with spaces"})
    assert len(made.headers["X-Request-Id"]) == 32
