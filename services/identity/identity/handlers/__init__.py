"""Identity use cases as plain functions over one transaction, one module per concern.

Each takes a :class:`svclib.db.Transaction` and plain values and returns plain
data; the service entrypoints stay thin, and tests call these directly.

- :mod:`.accounts`: registration, sessions (login, tokens, logout).
- :mod:`.login_limits`: how many failed logins an account and an address may have.
- :mod:`.profiles`: the views of a person, profile edits, follows, subwiki memberships, badges.
- :mod:`.trust_inputs`: the facts trust is computed from, and its recomputation.
- :mod:`.erasure`: a person's export and the erasure of their account.
"""
