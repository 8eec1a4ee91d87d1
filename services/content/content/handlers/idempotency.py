"""Content's Idempotency-Keys for creating requests (posts, comments, reports, uploads): svclib.idempotency
over content's ``request_keys``."""

from __future__ import annotations

from content.exceptions import Conflict, Invalid
from content.models import REQUEST_KEYS
from svclib.idempotency import RequestKeys

_KEYS = RequestKeys(REQUEST_KEYS, Conflict, Invalid)
answered = _KEYS.answered
claim = _KEYS.claim
settle = _KEYS.settle
