"""studiodraft: scenario documents being composed in the dashboard's studio

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "studiodraft",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scenario_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("studiodraft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_studiodraft_scenario_id"), ["scenario_id"])


def downgrade() -> None:
    with op.batch_alter_table("studiodraft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_studiodraft_scenario_id"))
    op.drop_table("studiodraft")
