"""decision inputs: the facts a branch, wait_for or split decision read

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:12:41.508113
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # decisions taken before it read nothing on record: an empty object
    with op.batch_alter_table("branchdecision", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("inputs", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("branchdecision", schema=None) as batch_op:
        batch_op.drop_column("inputs")
