"""All five services on one broker: identity's events reach every other service."""

from contextlib import ExitStack

from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from communities.service import CommunitiesService
from content.service import ContentService
from donations.service import DonationsService
from feed.service import FeedService
from identity.service import IdentityService

OTHERS = (CommunitiesService, ContentService, FeedService, DonationsService)


def test_user_registered_and_erased_reach_every_service(runner_factory, service_config):
    config = service_config("identity", "communities", "content", "feed", "donations")
    runner = runner_factory(config, IdentityService, *OTHERS)
    runner.start()
    containers = {container.service_name: container for container in runner.containers}

    with ExitStack() as waits:
        for service in OTHERS:
            waits.enter_context(entrypoint_waiter(containers[service.name], "handle_user_registered", timeout=10))
        with entrypoint_hook(containers["identity"], "register") as register:
            user = register("una", "una@example.com", "integration is real")

    for service in OTHERS:
        with entrypoint_hook(containers[service.name], "export_user") as export:
            assert export(user["id"])["account"] == {
                "id": user["id"],
                "username": "una",
                "registered_at": export(user["id"])["account"]["registered_at"],
            }

    with ExitStack() as waits:
        for service in OTHERS:
            waits.enter_context(entrypoint_waiter(containers[service.name], "handle_user_erased", timeout=10))
        with entrypoint_hook(containers["identity"], "erase_me") as erase:
            erase(user["id"], "integration is real")

    for service in OTHERS:
        with entrypoint_hook(containers[service.name], "export_user") as export:
            assert export(user["id"])["account"] is None  # the id, the name: forgotten
