"""Events the donations service publishes.

donation_completed [donation: id, donor_id, recipient_id, amount_cents, currency, public, recurring],
donation_refunded [donation], pledge_past_due [pledge: id, donor_id].
"""

DONATION_COMPLETED = "donation_completed"
DONATION_REFUNDED = "donation_refunded"
PLEDGE_PAST_DUE = "pledge_past_due"
