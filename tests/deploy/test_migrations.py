"""Each service's migrations form one line: two changes made side by side must be put in order
before they land, or the service cannot start (alembic refuses several heads)."""

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from devstack.infra import SERVICES
from svclib.migrations import migrations_dir


@pytest.mark.parametrize("service", SERVICES)
def test_one_head_per_service(service):
    config = Config()
    config.set_main_option("script_location", str(migrations_dir(service)))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"{service} has several migration heads: {heads}"
