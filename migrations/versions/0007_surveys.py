"""survey_token: a survey step's question per enrollment, its token and its answer

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "surveytoken",
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("enrollment_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("scenario_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("step_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=33), nullable=False),
        sa.Column("attribute", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("free_text", sa.Boolean(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("answered_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("answered_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("closed_at", store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("token"),
        sa.UniqueConstraint("enrollment_id", "step_id"),
    )
    with op.batch_alter_table("surveytoken", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveytoken_enrollment_id"), ["enrollment_id"])
        batch_op.create_index(batch_op.f("ix_surveytoken_scenario_id"), ["scenario_id"])
        batch_op.create_index(batch_op.f("ix_surveytoken_user_id"), ["user_id"])
        batch_op.create_index(batch_op.f("ix_surveytoken_answered_by"), ["answered_by"])


def downgrade() -> None:
    with op.batch_alter_table("surveytoken", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveytoken_answered_by"))
        batch_op.drop_index(batch_op.f("ix_surveytoken_user_id"))
        batch_op.drop_index(batch_op.f("ix_surveytoken_scenario_id"))
        batch_op.drop_index(batch_op.f("ix_surveytoken_enrollment_id"))
    op.drop_table("surveytoken")
