"""importupload: the dashboard's CSV imports kept between dry run and confirmation

Until now the file waited in the API machine's temporary folder, so a confirmation that a
load balancer sent to another API replica found nothing. The row keeps the file's bytes, what
its dry run found, the confirmation's claim (one replica imports it) and then its result.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "importupload",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("uploaded_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("claimed_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("imported_at", store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("importupload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_importupload_expires_at"), ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("importupload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_importupload_expires_at"))
    op.drop_table("importupload")
