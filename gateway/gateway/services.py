"""The backing services as one gateway process sees them."""

from __future__ import annotations

import os
import threading

from flask import g

from gateway.auth import SESSIONS_EXCHANGE, TokenCache
from gateway.pagetags import FEED_PAGES_EXCHANGE, POST_PAGES_EXCHANGE, PageTags
from gateway.rpc import RpcClient
from gateway.summaries import SUMMARIES_EXCHANGE, SubwikiSummaries
from svclib import tracing

SERVICES = ("identity", "communities", "content", "feed", "donations")


class Services:
    """Holds this process's RPC client, created on first use after the fork."""

    def __init__(
        self,
        amqp_uri: str,
        timeout: float,
        token_cache_seconds: float,
        summary_seconds: float = 30.0,
        feed_page_seconds: float = 5.0,
        post_page_seconds: float = 30.0,
    ):
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.tokens = TokenCache(token_cache_seconds)
        self.summaries = SubwikiSummaries(summary_seconds)
        self.feed_pages = PageTags(feed_page_seconds, name="feed")
        self.post_pages = PageTags(post_page_seconds, name="post")
        self._client: RpcClient | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    @property
    def rpc(self) -> RpcClient:
        if self._client is None or self._pid != os.getpid():
            with self._lock:
                if self._client is None or self._pid != os.getpid():
                    self._client = RpcClient(
                        self.amqp_uri,
                        timeout=self.timeout,
                        subscriptions=[
                            (*SESSIONS_EXCHANGE, self.tokens.revoke),
                            (*SUMMARIES_EXCHANGE, self.summaries.forget),
                            (*FEED_PAGES_EXCHANGE, self.feed_pages.forget),
                            (*POST_PAGES_EXCHANGE, self.post_pages.forget),
                        ],
                        hearing=self.hearing,
                    )
                    self._pid = os.getpid()
        return self._client

    def hearing(self, listening: bool) -> None:
        """The broadcasts' connection is up or lost: told to what is kept from what they tell."""
        self.summaries.hearing(listening)
        self.feed_pages.hearing(listening)
        self.post_pages.hearing(listening)

    def context(self) -> dict:
        """nameko context data sent with every call: the request id, and the request's trace context
        when tracing is on (the service's worker continues the request's span)."""
        context = {"request_id": g.get("request_id", "")}
        if tracing.enabled():
            context[tracing.TRACEPARENT] = tracing.current_traceparent()
        return context

    def call(self, service: str, method: str, *args, **kwargs):
        return self.rpc.call(service, method, *args, _context=self.context(), **kwargs)

    def start(self, service: str, method: str, *args, **kwargs):
        """Begin a call without waiting, to run independent calls at once."""
        return self.rpc.call_async(service, method, *args, _context=self.context(), **kwargs)

    def gather(self, *calls):
        return self.rpc.gather(*calls)
