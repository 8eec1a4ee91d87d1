"""The ``@rpc`` entrypoint: a request checked against its deadline and its method's signature, then run.

Every ``@rpc`` of a service must come from here (``rpc``): its requests are read by the one
``RpcQueueConsumer`` of the service.
"""

from __future__ import annotations

import inspect
import time
from functools import partial

from nameko.exceptions import ContainerBeingKilled, IncorrectSignature, MalformedRequest
from nameko.rpc import Rpc

from svclib import arguments, logs, tracing
from svclib.rpc.answers import error_kind
from svclib.rpc.consumer import DEADLINE_HEADER, RpcQueueConsumer


def expired(deadline, now: float | None = None) -> bool:
    """True when a request's deadline (seconds since the epoch; none, or not a number, never) has passed."""
    if isinstance(deadline, bool) or not isinstance(deadline, int | float):
        return False
    return (time.time() if now is None else now) > deadline


class ReplyingRpc(Rpc):
    rpc_consumer = RpcQueueConsumer()

    def setup(self) -> None:
        super().setup()
        method = getattr(self.container.service_cls, self.method_name)
        self._signature = inspect.signature(method)
        self._types = arguments.expected_types(method)

    def handle_message(self, body, message) -> None:
        # Checked here, as the worker is about to start: the request may have waited in this
        # process (prefetched, or the process paused) after the broker's expiry stopped applying.
        if expired(message.headers.get(DEADLINE_HEADER)):
            self.rpc_consumer.drop_expired(message)
            return
        try:
            args, kwargs = body["args"], body["kwargs"]
        except KeyError:
            raise MalformedRequest("Message missing `args` or `kwargs`") from None
        self.check_signature(args, kwargs)
        context_data = self.unpack_message_headers(message)
        span = None
        if tracing.enabled():
            name = f"{self.container.service_name}.{self.method_name}"
            span = tracing.start_worker_span(name, "server", context_data, {"rpc.method": name})
        try:
            worker_ctx = self.container.spawn_worker(
                self, args, kwargs, context_data=context_data, handle_result=partial(self.handle_result, message, span)
            )
        except ContainerBeingKilled:
            tracing.end_span(span)
            self.rpc_consumer.requeue_message(message)
            return
        logs.bind_greenlet(
            self.container._worker_threads.get(worker_ctx), context_data.get("request_id"), tracing.trace_id_of(span)
        )

    def handle_result(self, message, span, worker_ctx, result, exc_info):
        result, exc_info = self.rpc_consumer.handle_result(message, result, exc_info)
        tracing.end_span(span, exc_info if exc_info is not None and error_kind(exc_info[1]) == "fault" else None)
        return result, exc_info

    def check_signature(self, args, kwargs) -> None:
        """The arguments fit the method, have the types it is annotated with and hold nothing
        unstorable or unbounded (``svclib.arguments``): else ``Invalid``, before any worker runs."""
        # nameko rebuilds the signature on every call; it never changes.
        try:
            bound = self._signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None
        given = bound.arguments
        given.pop(next(iter(self._signature.parameters)), None)  # self
        arguments.check_types(given, self._types)
        arguments.check_values(given)


rpc = ReplyingRpc.decorator
