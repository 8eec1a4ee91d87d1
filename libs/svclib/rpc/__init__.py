"""nameko's ``rpc`` entrypoint with a lighter path for requests and replies.

nameko 2 reads requests through kombu's consumer, which wraps and decodes
every message and hands it to a greenthread of its own before the worker's,
and answers every call through a new ``Publisher`` that takes a pooled
connection and waits for a publisher confirm before the worker ends. Here each
service container reads its ``rpc-<service>`` queue on a py-amqp connection of
its own (buffered reads, JSON bodies, the worker spawned straight from the
delivery) and answers on it: the reply, published without a confirm (its
caller waits with a deadline and gives up after it), and the request's
acknowledgement leave in one write. Replies go to nameko's RPC exchange under
the caller's reply key, as nameko expects, or to the default exchange when the
caller asked for RabbitMQ's direct reply-to.

The protocol is nameko's: the same queue, exchange and binding, ``args`` and
``kwargs`` in a JSON body, context data in ``nameko.*`` headers, a request
acknowledged once its reply is sent; any nameko client works. Every ``@rpc`` of
a service must come from here: two kinds of RPC consumer on one service would
share its queue without sharing its methods.

A request may carry its deadline (``nameko.deadline``: seconds since the epoch,
set by the gateway from the caller's timeout; as context data it travels on to
the calls the worker makes). The broker's per-message expiry stops applying once
a request is delivered, and a service delivers up to its worker count ahead (or
all of them at once after a pause), so the deadline is checked again when a
worker is about to start: a request whose caller has given up is acknowledged
and dropped, never run, with a log line and a count (``expired``).

Each answer is counted (``svclib.metrics``: calls, errors by kind, latency from the
request's delivery to its answer), and each worker runs in a span continuing the caller's
trace when tracing is on (``svclib.tracing``); its log lines carry the request and trace ids.

The package's modules: ``consumer``, the queue read and answered on a connection of its own;
``answers``, the reply a caller gets (its body, an answer of ``Parts``, the errors it may see, their kinds);
``entrypoint``, the ``@rpc`` entrypoint (the request's deadline, its arguments, its worker).
"""

from svclib.rpc.answers import Parts, answerable, error_kind
from svclib.rpc.consumer import RpcQueueConsumer
from svclib.rpc.entrypoint import ReplyingRpc, expired, rpc

__all__ = ["Parts", "ReplyingRpc", "RpcQueueConsumer", "answerable", "error_kind", "expired", "rpc"]
