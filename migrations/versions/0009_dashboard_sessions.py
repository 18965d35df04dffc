"""dashboardsession: dashboard sessions kept server-side, so that logging out ends one

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboardsession",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("token_mac", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dashboardsession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboardsession_expires_at"), ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("dashboardsession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboardsession_expires_at"))
    op.drop_table("dashboardsession")
