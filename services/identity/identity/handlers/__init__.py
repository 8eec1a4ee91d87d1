"""Identity use cases as plain functions over one transaction, one module per concern.

Each takes a :class:`svclib.db.Transaction` and plain values and returns plain
data; the service entrypoints stay thin, and tests call these directly.

- :mod:`.accounts`: registration, sessions (login, tokens, logout).
- :mod:`.limits`: how often logins, erasures and registrations may be tried, per account and address.
- :mod:`.profiles`: the views of a person, profile edits, follows, subwiki memberships, badges.
- :mod:`.trust_inputs`: the facts trust is computed from, and its recomputation.
- :mod:`.erasure`: a person's export and the erasure of their account.
- :mod:`.versions`: the version held for each key, so that events carrying a state apply in order.

Lock order. Every identity transaction takes its locks in this order, and never asks for a
stronger lock on a row after it wrote a row that refers to it: an insert into ``received_votes``
takes a KEY SHARE lock on the author's ``users`` row through its foreign key, and asking FOR UPDATE
on that row afterwards is an upgrade with which two votes for one author wait for each other.

0. ``processed_events``: the event's own id (``tx.once``); only two deliveries of one event meet there.
1. ``users`` rows, in ascending id (:func:`.common.lock_people`, FOR NO KEY UPDATE), before anything
   that refers to them is written. FOR NO KEY UPDATE does not wait for the KEY SHARE locks that
   logins, follows and memberships take through their foreign keys; only erasure, which changes the
   username, locks a person FOR UPDATE, and it does so first.
2. The key of the fact or relation (:func:`.versions.hold`: a vote, a membership, a follow).
3. ``trust_stats`` rows, in ascending id.
4. Rows only inserted or deleted under the locks above (``received_votes``, memberships, follows,
   the outbox).
"""
