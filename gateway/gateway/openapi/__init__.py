"""The OpenAPI document, generated from the schemas that validate requests and describe answers.

Every view says what it is with ``@doc(...)``: its request body, query string and headers, each
answer it gives and who may call it. ``spec_for(app)`` builds the document from every route of
the application (a route without ``@doc`` is an error, so nothing is left out), and ``register``
checks each request's query string, body and declared headers against the same schemas before
the view runs, so every field error comes in one answer.

Its modules: ``views`` (``@doc``), ``document`` (the document built from it), ``checking`` (requests checked
against it).
"""

from gateway.openapi.checking import check_request, register
from gateway.openapi.document import TITLE, VERSION, spec_for
from gateway.openapi.views import IDEMPOTENCY_KEY, doc

__all__ = ["IDEMPOTENCY_KEY", "TITLE", "VERSION", "check_request", "doc", "register", "spec_for"]
