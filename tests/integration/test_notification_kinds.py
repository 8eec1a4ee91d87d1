"""The notification kinds a client may turn on and off at the gateway are the feed's kinds: the list
stands on both sides of the bus (the gateway imports no service), so this keeps the copies equal."""

from feed.notifications import KINDS
from gateway.schemas.requests import NOTIFICATION_KINDS


def test_the_gateway_accepts_exactly_the_feeds_notification_kinds():
    assert tuple(NOTIFICATION_KINDS) == tuple(KINDS)
