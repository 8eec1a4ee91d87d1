"""Which of the feed's event handlers run where: what a member waits to see beside the requests, in a lane of
its own (svclib.events, svclib.roles); votes and trust changes in the background process."""

import re
from pathlib import Path

from feed.service import FeedService
from svclib.roles import RoleContainer

CONFIG = Path(__file__).resolve().parents[2] / "config.yml"
AWAITED = {"handle_post_created", "handle_post_edited", "handle_post_removed", "notify_comment_created"}
BACKGROUND = {"handle_vote_cast", "handle_vote_removed", "handle_user_trust_changed", "handle_comment_created"}


def served(role: str) -> set[str]:
    lanes = re.search(r"^REQUESTS_LANES: \$\{REQUESTS_LANES:(.*)\}$", CONFIG.read_text(), re.M).group(1)
    config = {"AMQP_URI": "memory://", "SERVICE_ROLE": role, "BACKGROUND_NICE": "0", "REQUESTS_LANES": lanes}
    return {entrypoint.method_name for entrypoint in RoleContainer(FeedService, config).entrypoints}


def test_posts_and_notifications_are_applied_by_the_requests_process_votes_and_trust_in_the_background():
    requests, background = served("requests"), served("background")
    assert AWAITED <= requests and not AWAITED & background
    assert BACKGROUND <= background and not BACKGROUND & requests
    assert {name for name in requests | background if name.startswith("notify_")} <= requests
