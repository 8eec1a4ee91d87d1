"""What a view says of itself for the OpenAPI document and for the checks of its requests: ``@doc(...)``."""

from __future__ import annotations

from marshmallow import Schema


def doc(
    summary: str,
    request_schema: type[Schema] | None = None,
    response: type[Schema] | None = None,
    status: int = 200,
    auth: bool = False,
    *,
    tag: str,
    query: type[Schema] | None = None,
    also: dict | None = None,
    errors: tuple[int, ...] = (),
    optional_auth: bool = False,
    headers: tuple[dict, ...] = (),
    media: str | tuple[str, ...] = "application/json",
    body: dict | None = None,
    local: bool = False,
    operation_id: str | None = None,
    description: str | None = None,
    kept: bool = True,
):
    """Describe a view for the OpenAPI document (and for checking its requests).

    ``also`` maps further statuses to their answer schema (``None`` for no body); ``errors`` adds
    error statuses to those every view has (400, 500; 503 unless ``local``; 401 when it reads a
    token; 404 when it has path parameters; 413 when it takes a body). ``kept=False``: a GET whose JSON
    answer sets its own ``Cache-Control`` and has no ETag (``gateway.conditional``).
    """

    def decorate(view):
        view.openapi = {
            "summary": summary,
            "description": description,
            "request": request_schema,
            "response": response,
            "status": status,
            "auth": auth,
            "optional_auth": optional_auth,
            "tag": tag,
            "query": query,
            "also": also or {},
            "errors": errors,
            "headers": headers,
            "media": media,
            "body": body,
            "local": local,
            "operation_id": operation_id or view.__name__,
            "kept": kept,
        }
        return view

    return decorate


def header(name: str, description: str, required: bool = False, **schema) -> dict:
    """A request header as the document declares it (a string, with ``schema``'s limits)."""
    return {
        "in": "header",
        "name": name,
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


IDEMPOTENCY_KEY = header(
    "Idempotency-Key",
    "A key the client makes up for this action: the same key with the same body answers with the same result; "
    "with another body it is a 409.",
    required=True,
    minLength=1,
    maxLength=200,
)
