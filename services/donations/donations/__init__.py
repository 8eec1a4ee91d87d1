"""The donations service: donations, pledges, the campaign and the public ledger."""
