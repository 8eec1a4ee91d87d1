"""The OpenAPI document, built once per application from every route's ``@doc`` (``spec_for``).

A route without ``@doc`` is an error, so nothing is left out; every answer schema (``gateway.schemas.Answer``)
is a component, its fields required unless it says otherwise.
"""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from werkzeug.routing import IntegerConverter

from gateway.openapi.views import header
from gateway.schemas import Answer, ErrorResponse

_CONVERTER = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")
TITLE = "Wikisocial API"
VERSION = "1.0.0"

ERRORS = {
    400: "The request is malformed or a field, parameter or header is not valid (all of them in `fields`).",
    401: "Sign in: the bearer token is missing, expired or revoked.",
    403: "Signed in, but not allowed to do this.",
    404: "No such resource (also for resources the caller may not see).",
    409: "A conflict: taken name, stale `base_revision`, an idempotency key reused with another body; "
    "`duplicate`: the same post or comment again a moment after the first.",
    413: "The body is larger than allowed.",
    429: "Too many attempts; wait `Retry-After` seconds.",
    500: "A fault on our side; quote `request_id`.",
    503: "A backing service is unavailable; nothing was changed. Retry after `Retry-After` seconds.",
}

PATH_PARAMETERS = {
    "username": "a person's username",
    "slug": "a subwiki's slug",
    "post_id": "a post's id",
    "comment_id": "a comment's id",
    "change_id": "a held edit's id",
    "held_id": "a held post's id",
    "report_id": "a report's id",
    "revision": "a revision number",
    "pledge_id": "a monthly pledge's id",
    "donation_id": "a donation's id",
    "provider": "the payment provider (offline or stripe)",
    "name": "a file name",
}

TAGS = [
    ("Identity", "Accounts, sessions, profiles and follows"),
    ("Subwikis", "Communities whose page is a wiki: membership, moderators, history"),
    ("Posts", "Posts, their wiki history, held edits, votes, uploads"),
    ("Discussion", "Comments and their votes"),
    ("Moderation", "Reports and protection"),
    ("Feed", "Ranked feeds; every item says why it is where it is"),
    ("Search", "Posts and comments by words, in English and French"),
    ("Notifications", "What happened to your posts, comments, edits, reports and profile"),
    ("Donations", "Gifts, pledges, the campaign and the public ledger"),
    ("Operations", "Health, metrics and this document"),
]


def _content(media: str | tuple[str, ...], schema) -> dict:
    if media == "application/json":
        return {media: {"schema": schema}} if schema is not None else {}
    kinds = (media,) if isinstance(media, str) else media
    return {
        kind: {"schema": {"type": "string"} if kind.startswith("text/") else {"type": "string", "format": "binary"}}
        for kind in kinds
    }


def _responses(meta: dict, has_path_params: bool) -> dict:
    answers: dict[str, dict] = {}
    success = {str(meta["status"]): meta["response"], **{str(k): v for k, v in meta["also"].items()}}
    statuses = {400, 500, *meta["errors"]}
    if not meta["local"]:
        statuses.add(503)
    if meta["auth"] or meta["optional_auth"]:
        statuses.add(401)
    if has_path_params:
        statuses.add(404)
    if meta["request"] is not None or meta["body"] is not None:
        statuses.add(413)
    for status in sorted(statuses):
        if str(status) in success:
            continue
        answer = {"description": ERRORS[status], "content": {"application/json": {"schema": "Error"}}}
        if status in (429, 503):
            answer["headers"] = {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}}
        answers[str(status)] = answer
    for status, schema in success.items():
        answer = {"description": "Success" if status.startswith("2") else ERRORS.get(int(status), "")}
        if status != "204":
            content = _content(meta["media"], schema)
            if content:
                answer["content"] = content
        answers[status] = answer
    return dict(sorted(answers.items()))


def _parameters(meta: dict, rule) -> list:
    parameters = []
    for name in rule.arguments:
        converter = rule._converters.get(name)
        schema: dict = {"type": "string"}
        if isinstance(converter, IntegerConverter):
            schema = {"type": "integer", "minimum": 1}
            if getattr(converter, "max", None):
                schema["maximum"] = converter.max
        parameters.append(
            {"in": "path", "name": name, "required": True, "description": PATH_PARAMETERS[name], "schema": schema}
        )
    if meta["query"] is not None:
        parameters.append({"in": "query", "schema": meta["query"]})
    parameters.extend(meta["headers"])
    return parameters


# A GET's JSON answer has a tag and may be asked for again only if it changed (gateway.conditional).
ETAG = {"description": "the answer's tag, for If-None-Match", "schema": {"type": "string"}}
IF_NONE_MATCH = header(
    "If-None-Match", "The ETag of an answer the client holds: while the answer is the same, a 304 without a body."
)
NOT_MODIFIED = {"description": "Not modified: the answer is the one `If-None-Match` names.", "headers": {"ETag": ETAG}}


def _revalidated(meta: dict, method: str) -> bool:
    return method == "get" and meta["kept"] and meta["media"] == "application/json" and meta["status"] == 200


def _operation(meta: dict, rule, method: str) -> dict:
    operation: dict = {
        "operationId": meta["operation_id"],
        "tags": [meta["tag"]],
        "summary": meta["summary"],
        "responses": _responses(meta, bool(rule.arguments)),
    }
    revalidated = _revalidated(meta, method)
    if revalidated:
        operation["responses"]["200"]["headers"] = {"ETag": ETAG}
        operation["responses"] = dict(sorted({**operation["responses"], "304": NOT_MODIFIED}.items()))
    if meta["description"]:
        operation["description"] = meta["description"]
    parameters = _parameters(meta, rule)
    if revalidated:
        parameters.append(IF_NONE_MATCH)
    if parameters:
        operation["parameters"] = parameters
    if meta["body"] is not None:
        operation["requestBody"] = meta["body"]
    elif meta["request"] is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": meta["request"]}}}
    if meta["auth"]:
        operation["security"] = [{"bearer": []}]
    elif meta["optional_auth"]:
        operation["security"] = [{"bearer": []}, {}]
    return operation


def _answers() -> list[type[Answer]]:
    found, todo = [], [Answer]
    while todo:
        for child in todo.pop().__subclasses__():
            found.append(child)
            todo.append(child)
    return found


def _require_answer_fields(document: dict) -> None:
    """In an answer, every field is present unless its schema says otherwise (``Meta.optional``)."""
    components = document["components"]["schemas"]
    for answer in _answers():
        component = components.get(answer.__name__)
        if component is None or "properties" not in component:
            continue
        optional = set(getattr(answer.Meta, "optional", ()))
        component["required"] = [name for name in component["properties"] if name not in optional]


def _nullable_refs(node) -> None:
    """apispec writes a nullable nested schema as ``anyOf: [{type: object, nullable}, $ref]``, which lets any
    object through; OpenAPI 3.0 says it as ``nullable`` beside ``allOf: [$ref]``."""
    if isinstance(node, dict):
        options = node.get("anyOf")
        if isinstance(options, list) and len(options) == 2 and options[0] == {"type": "object", "nullable": True}:
            del node["anyOf"]
            node.update({"nullable": True, "allOf": [options[1]]})
        for value in node.values():
            _nullable_refs(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_refs(value)


def _build(operations: list) -> dict:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "The public contract of the gateway. Lists are cursor-paginated (`limit`, `cursor`; "
            "answers `{items, next_cursor}`); every error has the shape `Error`; unknown body fields and query "
            "parameters are refused with a 400; text anywhere (path, query, headers, any JSON string or key) may not "
            "hold NUL or a lone UTF-16 surrogate (400). See docs/API.md in the repository."
        },
        tags=[{"name": name, "description": text} for name, text in TAGS],
    )
    spec.components.schema("Error", schema=ErrorResponse)
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "a token from POST /api/v1/auth/login"}
    )
    for answer in _answers():
        if answer is not ErrorResponse and answer.__name__ not in spec.components.schemas:
            spec.components.schema(answer.__name__, schema=answer)
    seen: dict[str, str] = {}
    paths: dict[str, dict] = {}
    for path, method, meta, rule in operations:
        operation_id = meta["operation_id"]
        if seen.setdefault(operation_id, f"{method} {path}") != f"{method} {path}":
            raise ValueError(f"operationId {operation_id} used twice ({seen[operation_id]}, {method} {path})")
        paths.setdefault(path, {})[method] = _operation(meta, rule, method)
    for path, item in paths.items():
        spec.path(path=path, operations=item)
    document = spec.to_dict()
    _require_answer_fields(document)
    _nullable_refs(document["components"])
    _storable_text(document)
    return document


# Text the gateway refuses anywhere (gateway.checks): NUL and lone surrogates. NUL is said in the
# document as a pattern on every string a client sends that has no stricter pattern, enum or format
# of its own. Lone surrogates are said in words (API.md) only: a pattern naming them (\ud800-\udfff)
# cannot be compiled by regex engines whose strings hold Unicode scalar values only (Rust's, Go's),
# and a tool that cannot compile a pattern enforces none of it (schemathesis's validator then took
# NUL for valid text).
STORABLE = "^[^\\u0000]*$"


def _storable_text(document: dict) -> None:
    schemas = document["components"]["schemas"]
    targets = [schema for name, schema in schemas.items() if name.endswith("Request") or name == "CheckoutDecision"]
    for item in document["paths"].values():
        for operation in item.values():
            targets.extend(
                parameter["schema"] for parameter in operation.get("parameters", []) if "schema" in parameter
            )
    while targets:
        schema = targets.pop()
        if schema.get("type") == "string" and not {"pattern", "enum", "format"} & set(schema):
            schema["pattern"] = STORABLE
        targets.extend(schema.get("properties", {}).values())
        if isinstance(schema.get("items"), dict):
            targets.append(schema["items"])


def _path(rule) -> str:
    return _CONVERTER.sub(r"{\1}", rule.rule)


def spec_for(app: Flask) -> dict:
    """Built once per application from every route's ``@doc``."""
    if "openapi" in app.extensions:
        return app.extensions["openapi"]
    operations = []
    for rule in app.url_map.iter_rules():
        meta = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if meta is None:
            raise ValueError(f"{rule.rule} ({rule.endpoint}) has no @doc: every route is in the document")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operations.append((_path(rule), method.lower(), meta, rule))
    app.extensions["openapi"] = _build(operations)
    return app.extensions["openapi"]
