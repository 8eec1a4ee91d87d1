"""Content's use cases as plain functions over one transaction, one module per concern.

- ``replicas``: content's copies of other services' facts (memberships, trust, blocks, posts' quality)
- ``access``: finding posts and comments, and who may act on them
- ``posts``: creating, showing, protecting and removing posts
- ``edits``: wiki edits, their history and reverts
- ``pending``: edits held for review
- ``comments``: writing comments; ``discussion``: reading a post's discussion in pages and threads
- ``votes``, ``reports``, ``uploads``
- ``facts``: pages of facts for services rebuilding their copies

Handlers that check memberships take a ``MembershipLookup`` (``access.py``): the service passes
one that asks communities, so a join made a moment ago counts before its event arrives.
"""
