"""multicastbatch: the same messages of one step to many friends in one LINE request

`multicastbatch` holds each batch (its recipients; its id is the request's retry key) and
`delivery.batch` points each delivery row at the batch it goes in, recorded before LINE is
asked, so that a retry sends that very request again.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "multicastbatch",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("scenario_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("step_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_ids", sa.JSON(), nullable=False),
        sa.Column("silent", sa.Boolean(), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("batch", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_delivery_batch"), ["batch"])


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_batch"))
        batch_op.drop_column("batch")
    op.drop_table("multicastbatch")
