"""Donations' use cases as plain functions over one transaction, one module per concern.

- ``people``: donors and recipients, from the copy of known accounts
- ``checkout``: starting a donation (retries answered the same) and the offline checkout
- ``payments``: providers' webhooks, applied once (paid, failed, refunded)
- ``pledges``: monthly pledges charged, retried, given up or cancelled
- ``erasure``: an erased person's gifts kept as anonymous ones, their pledges stopped
- ``ledger``: the campaign, the public ledger, a person's support, one's own giving

Each function an RPC calls is named after it.
"""

from donations.handlers.checkout import checkout_token_matches, donation_for_checkout, donation_view, start_donation
from donations.handlers.erasure import erase_person
from donations.handlers.ledger import (
    Campaign,
    get_campaign,
    get_ledger,
    get_support,
    list_gifts_to_creators,
    my_donations,
)
from donations.handlers.payments import apply_provider_event, record_rejected_webhook
from donations.handlers.pledges import PledgePolicy, cancel_pledge, charge_pledge, due_pledges

__all__ = [
    "Campaign",
    "PledgePolicy",
    "apply_provider_event",
    "cancel_pledge",
    "charge_pledge",
    "checkout_token_matches",
    "donation_for_checkout",
    "donation_view",
    "due_pledges",
    "erase_person",
    "get_campaign",
    "list_gifts_to_creators",
    "get_ledger",
    "get_support",
    "my_donations",
    "record_rejected_webhook",
    "start_donation",
]
