"""The figures of identity's trust that other services assume, against identity's own.

Services import no other service, so a consumer that needs one of identity's figures declares its copy
beside the fields it reads (its ``consumes.py``), and this file checks the copies, as
test_event_contracts.py checks the fields: the trust of a new account (identity's floor), assumed for a
person whose trust has not arrived yet; and the tiers of trust by which content's spam defences and
communities' subwikis a day loosen (read from the same settings, so one setting moves both).
"""

from __future__ import annotations

import importlib

import pytest

from communities.handlers import subwikis
from content.handlers import spam
from identity import trust


@pytest.mark.parametrize("consumer", ["communities", "content", "feed"])
def test_a_consumer_assumes_identitys_trust_of_a_new_account(consumer):
    assumed = importlib.import_module(f"{consumer}.consumes").NEW_ACCOUNT_TRUST
    assert assumed == trust.NEW_ACCOUNT_TRUST == trust.CONSTANTS.FLOOR


def test_content_and_communities_read_trust_in_the_same_tiers_under_the_same_switch():
    assert spam.TRUST_TIERS == subwikis.TRUST_TIERS
    assert spam.POSTS.switch == spam.COMMENTS.switch == subwikis.SUBWIKIS_A_DAY.switch == spam.SWITCH
    new = subwikis.TRUST_TIERS.bounds[0][1]
    assert trust.NEW_ACCOUNT_TRUST < new, "a new account starts in the lowest tier"
