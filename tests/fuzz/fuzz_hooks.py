"""schemathesis hooks for ``make fuzz`` (loaded through ``SCHEMATHESIS_HOOKS``; runs in the fuzzer's own virtualenv).

A cursor is opaque: only the ``next_cursor`` a list handed out is one, and any other is a 400 (tested
in ``gateway/tests/test_input_checks.py::test_tampered_cursors_are_refused`` and
``libs/tests/unit/test_pagination.py``). The document says its alphabet and length, which is all a
document can say, so a made-up cursor of that shape would count as "valid data refused" (and hide what
a request meant to test, a missing header or an undeclared method). Requests therefore go without one.
"""

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = case.meta
    if (
        isinstance(case.query, dict)
        and "cursor" in case.query
        and meta is not None
        and meta.generation.mode.is_positive
    ):
        del case.query["cursor"]
