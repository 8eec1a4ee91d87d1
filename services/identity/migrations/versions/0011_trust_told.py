"""the trust last told to the other services (``user_trust_changed``), apart from identity's own: a change is
told once it reaches ``identity.trust.TOLD_STEP`` from the value told before

Existing accounts start without one: their trust, told with each change until now, is what was told.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("trust_told", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("trust_told")
