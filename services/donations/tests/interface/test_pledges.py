"""Monthly pledges in a real donations container on the real broker and PostgreSQL,
with the service's clock moved forward a month at a time."""

from datetime import timedelta

from nameko.testing.services import replace_dependencies

from donations.service import DonationsService
from svclib.db import utcnow
from svclib.testing import call


class MovableClock:
    def __init__(self):
        self.moment = utcnow()

    def now(self):
        return self.moment


def test_a_pledge_is_charged_monthly_until_cancelled(container_factory, service_config):
    container = container_factory(DonationsService, service_config("donations", PUBLIC_URL="http://gw"))
    clock = MovableClock()
    replace_dependencies(container, clock=clock)
    container.start()
    call(container, "handle_user_registered", {"event_id": "r1", "user": {"id": "ann", "username": "ann"}})

    started = call(container, "start_donation", "ann", 1000, "EUR", "platform", "monthly", True, "", "key-1")
    token = started["checkout_url"].split("token=")[1]
    assert call(container, "decide_checkout", started["donation_id"], token, True)["status"] == "paid"
    assert call(container, "get_campaign")["raised_cents"] == 1000

    for month in (1, 2):
        clock.moment += timedelta(days=32)
        assert call(container, "charge_due_pledges") == {"charged": 1}
        assert call(container, "charge_due_pledges") == {}
        assert call(container, "get_campaign")["raised_cents"] == 1000 * (month + 1)

    pledge = call(container, "my_donations", "ann")["pledges"][0]
    call(container, "cancel_pledge", "ann", pledge["id"])
    clock.moment += timedelta(days=40)
    assert call(container, "charge_due_pledges") == {}
    mine = call(container, "my_donations", "ann")
    assert mine["pledges"][0]["status"] == "canceled"
    assert [d["status"] for d in mine["donations"]] == ["paid", "paid", "paid"]
