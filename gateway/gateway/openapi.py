"""The OpenAPI document, generated from the schemas that validate requests."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from gateway.schemas import ErrorResponse

_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def _build(rules: list) -> dict:
    spec = APISpec(
        title="Wikisocial API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "The public contract of the gateway."},
    )
    spec.components.schema("Error", schema=ErrorResponse)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for path, method, meta, params in rules:
        operation: dict = {
            "summary": meta["summary"],
            "responses": {
                str(meta["status"]): {"description": "Success"},
                "default": {"description": "Error", "content": {"application/json": {"schema": "Error"}}},
            },
        }
        if meta["response"] is not None:
            operation["responses"][str(meta["status"])]["content"] = {"application/json": {"schema": meta["response"]}}
        if meta["request"] is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": meta["request"]}}}
        if meta["auth"]:
            operation["security"] = [{"bearer": []}]
        if params:
            operation["parameters"] = [
                {"in": "path", "name": p, "required": True, "schema": {"type": "string"}} for p in params
            ]
        spec.path(path=path, operations={method: operation})
    return spec.to_dict()


def spec_for(app: Flask) -> dict:
    """Built once per application from its routes' ``doc`` metadata."""
    if "openapi" in app.extensions:
        return app.extensions["openapi"]
    rules = []
    for rule in app.url_map.iter_rules():
        meta = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if meta is None:
            continue
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rules.append((path, method.lower(), meta, tuple(rule.arguments)))
    app.extensions["openapi"] = _build(rules)
    return app.extensions["openapi"]
