"""The OpenAPI document is complete and valid, and requests are checked against it."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"] == "3.0.3"


def test_every_route_of_the_application_is_in_the_document(client, document):
    routes = set()
    for rule in client.application.url_map.iter_rules():
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", f"{{{name}}}").replace(f"<{name}>", f"{{{name}}}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    documented = {(path, method) for path, method, _ in operations(document)}
    assert routes == documented
    assert ("/api/v1/uploads/{name}", "get") in documented


def test_every_operation_is_named_tagged_and_answers_declared(document):
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    tags = {tag["name"] for tag in document["tags"]}
    for path, method, operation in operations(document):
        where = f"{method.upper()} {path}"
        assert operation["summary"] and set(operation["tags"]) <= tags, where
        answers = operation["responses"]
        assert "default" not in answers, where
        assert any(status.startswith("2") for status in answers), where
        assert {"400", "500"} <= set(answers), where
        if "{" in path:
            assert "404" in answers, where
        for status, answer in answers.items():
            if status.startswith("2") and status != "204":
                assert answer.get("content"), f"{where} {status} has no body schema"
            if status.startswith(("4", "5")) and not (path == "/readyz" and status == "503"):
                assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        if operation.get("security") == [{"bearer": []}]:
            assert "401" in answers, where


def test_parameters_have_types_ranges_and_enums(document):
    def parameters(path, method):
        found = document["paths"][path][method]["parameters"]
        return {(p["in"], p["name"]): p for p in found}

    public = parameters("/api/v1/feed/public", "get")
    assert public[("query", "limit")]["schema"] == {"type": "integer", "default": 25, "minimum": 1, "maximum": 100}
    assert public[("query", "sort")]["schema"]["enum"] == ["quality", "new", "top"]
    assert public[("query", "window")]["schema"]["enum"] == ["day", "week", "all"]
    assert ("query", "cursor") in public
    subwikis = parameters("/api/v1/subwikis", "get")
    assert subwikis[("query", "sort")]["schema"]["enum"] == ["members", "new", "active"]
    assert ("query", "q") in subwikis
    revisions = parameters("/api/v1/posts/{post_id}/revisions", "get")
    assert ("query", "diff") not in revisions  # one revision with its changes has its own address
    revert = parameters("/api/v1/posts/{post_id}/revisions/{revision}/revert", "post")
    assert revert[("path", "revision")]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    donate = parameters("/api/v1/donations", "post")
    assert donate[("header", "Idempotency-Key")]["required"] is True
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_bodies_and_answers_are_declared(document):
    upload = document["paths"]["/api/v1/uploads"]["post"]
    multipart = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert multipart["required"] == ["file"] and multipart["properties"]["file"]["format"] == "binary"
    edit = document["paths"]["/api/v1/posts/{post_id}"]["patch"]["responses"]
    assert edit["202"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/HeldEdit"}
    assert {"403", "409"} <= set(edit)
    assert "204" in document["paths"]["/api/v1/auth/logout"]["post"]["responses"]
    schemas = document["components"]["schemas"]
    assert "can_moderate" in schemas["PostView"]["properties"]
    assert "can_moderate" not in schemas["PostView"]["required"]
    assert "last_activity_at" in schemas["Subwiki"]["required"]
    assert schemas["PostView"]["additionalProperties"] is False
    assert set(schemas["DonationStarted"]["required"]) >= {"donation_id", "checkout_url", "amount_cents"}


def test_unknown_query_parameters_are_refused_like_unknown_fields(client, auth):
    response = client.get("/api/v1/me?colour=blue", headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"colour": ["Unknown parameter."]}
    response = client.get("/api/v1/feed/public?colour=blue&window=year&limit=0")
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"colour", "window", "limit"}


def test_every_field_error_comes_in_one_answer(client):
    response = client.post("/api/v1/donations", json={"amount_cents": "many", "currency": "euro", "tip": 1})
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"amount_cents", "currency", "tip", "Idempotency-Key"}


def test_the_index_links_to_the_documents(client):
    index = client.get("/api/v1").get_json()
    assert index["links"]["docs"]["href"] == "/api/v1/docs"
    assert index["links"]["openapi"]["href"] == "/api/v1/openapi.json"


def test_the_docs_page_is_served_with_its_own_assets(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "http://" not in text and "https://" not in text
    for asset in ("/api/v1/docs/swagger-ui.css", "/api/v1/docs/swagger-ui-bundle.js", "/api/v1/docs/start.js"):
        assert asset in text
        served = client.get(asset)
        assert served.status_code == 200 and len(served.data) > 0, asset
    assert client.get("/api/v1/docs/../app.py").status_code == 404
    assert client.get("/api/v1/docs/nothing.js").status_code == 404


def test_a_list_is_always_a_page_and_one_revision_has_its_own_address(document):
    def answer(path):
        return document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    for owner, kind in (("/api/v1/posts/{post_id}", "Post"), ("/api/v1/subwikis/{slug}", "Page")):
        assert answer(f"{owner}/revisions") == {"$ref": f"#/components/schemas/{kind}RevisionPage"}
        assert answer(f"{owner}/revisions/{{revision}}") == {"$ref": f"#/components/schemas/{kind}RevisionChanges"}
    # Held edits and revisions say what they change under one name, in one shape.
    schemas = document["components"]["schemas"]
    change = {"type": "array", "items": {"$ref": "#/components/schemas/Change"}}
    for name in ("PendingChange", "PostRevisionChanges", "PageRevisionChanges"):
        shown = dict(schemas[name]["properties"]["changes"])
        shown.pop("description", None)
        assert shown == change, name
        assert "diff" not in schemas[name]["properties"]


def _client_strings(document: dict):
    """Every string schema a client sends: request bodies' fields, path, query and header parameters."""
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        if name.endswith("Request"):
            for field, value in schema["properties"].items():
                yield f"{name}.{field}", value
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                yield f"{method} {path} {parameter['name']}", parameter["schema"]


def test_the_document_says_what_the_gateway_refuses_in_text(document):
    for where, schema in _client_strings(document):
        if schema.get("type") != "string" or "enum" in schema or schema.get("format") == "binary":
            continue
        pattern = re.compile(schema["pattern"])
        assert not pattern.search("a\x00b"), where  # NUL is refused everywhere (gateway.checks)


def test_what_the_document_allows_the_gateway_takes(document):
    schemas = document["components"]["schemas"]
    assert schemas["DonationRequest"]["properties"]["currency"]["enum"] == ["EUR", "USD", "GBP"]
    assert schemas["DonationRequest"]["properties"]["amount_cents"]["minimum"] == 100
    cursor = document["paths"]["/api/v1/subwikis"]["get"]["parameters"]
    assert [p["schema"]["pattern"] for p in cursor if p["name"] == "cursor"] == ["^[A-Za-z0-9_-]{1,500}$"]


def test_a_body_the_document_requires_cannot_be_left_out(client, auth):
    response = client.patch("/api/v1/me", headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_a_declared_header_is_checked_against_its_schema(client, auth, key):
    response = client.post(
        "/api/v1/posts/p1/reports", json={"reason": "spam"}, headers={**auth, "Idempotency-Key": key}
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["error"]["fields"]


def _patterns(document) -> set[str]:
    patterns = set()
    todo = [document]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.add(node["pattern"])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return patterns


def test_no_pattern_leaves_its_spaces_to_the_engine(document):
    """``\\s`` matches other characters in JSON Schema's ECMAScript regular expressions than in Python's (U+001C to
    U+001F and U+0085 only in Python's, U+FEFF only in ECMAScript's): a pattern with it says something else to a
    client than the platform checks. Every pattern names the spaces the services trim, and agrees with Python's
    ``\\s`` on every character."""
    patterns = _patterns(document)
    spaced = [p for p in patterns if "\\t-\\r" in p]
    assert len(spaced) >= 4  # names, slugs, emails, text that is more than spaces, search
    for pattern in patterns:
        assert not re.search(r"(?<!\\)\\[sS]", pattern), pattern
    python = re.compile(r"\s")
    for pattern in spaced:
        named = re.compile(pattern.split("]", 1)[0].lstrip("^") + "]")
        for c in range(0x3001):
            assert bool(named.fullmatch(chr(c))) == bool(python.fullmatch(chr(c))), (pattern, hex(c))


def test_every_pattern_names_unicode_scalar_values_only(document):
    """A pattern naming surrogates (\\ud800-\\udfff) cannot be compiled by regex engines whose strings
    hold Unicode scalar values only (Rust's, Go's); a validator that cannot compile a pattern enforces
    none of it, so schemathesis took text with NUL for valid."""
    patterns = _patterns(document)
    assert patterns
    for pattern in patterns:
        escapes = [int(code, 16) for code in re.findall(r"\\u([0-9a-fA-F]{4})", pattern)]
        assert not [code for code in escapes if 0xD800 <= code <= 0xDFFF], pattern
        pattern.encode("utf-8")  # no surrogate written as itself either


def test_reads_that_mark_what_a_signed_in_reader_blocked_declare_their_optional_token(document, client):
    """A discussion's pages read the caller (whom they blocked) when a token comes: one that is expired or revoked
    is a 401, so the document says the token is optional there and declares the 401 (schemathesis found it)."""
    for path in ("/api/v1/posts/{post_id}/comments", "/api/v1/comments/{comment_id}/thread"):
        operation = document["paths"][path]["get"]
        assert operation["security"] == [{"bearer": []}, {}] and "401" in operation["responses"], path
    assert client.get("/api/v1/posts/p1/comments", headers={"Authorization": "Bearer bad"}).status_code == 401


def test_every_json_read_declares_its_tag_and_the_304_of_an_unchanged_answer(document):
    reads = [(path, op) for path, method, op in operations(document) if method == "get"]
    json_reads = [(path, op) for path, op in reads if "application/json" in op["responses"]["200"].get("content", {})]
    revalidated = {path for path, op in json_reads if "304" in op["responses"]}
    assert revalidated == {path for path, _ in json_reads} - {"/api/v1/me/export"}
    for path, op in json_reads:
        if path in revalidated:
            assert "ETag" in op["responses"]["200"]["headers"]
            assert any(p.get("name") == "If-None-Match" and p["in"] == "header" for p in op["parameters"])
