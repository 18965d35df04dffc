"""targeting and journeys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:47:32.207587
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # existing rows: first entries, begun before any event was recorded
    op.create_table(
        "click",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("enrollment_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("scenario_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("step_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=33), nullable=False),
        sa.Column("clicked_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("click", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_click_clicked_at"), ["clicked_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_click_enrollment_id"), ["enrollment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_click_scenario_id"), ["scenario_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_click_token"), ["token"], unique=False)
        batch_op.create_index(batch_op.f("ix_click_user_id"), ["user_id"], unique=False)

    op.create_table(
        "event",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=33), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("occurred_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_at", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_user_id"), ["user_id"], unique=False)

    op.create_table(
        "joinrequest",
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("route", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=33), nullable=True),
        sa.Column("completed_at", store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("state"),
    )
    op.create_table(
        "trackedlink",
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("enrollment_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("scenario_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("step_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=33), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token"),
        sa.UniqueConstraint("enrollment_id", "step_id", "position"),
    )
    with op.batch_alter_table("trackedlink", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trackedlink_enrollment_id"), ["enrollment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_trackedlink_scenario_id"), ["scenario_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_trackedlink_user_id"), ["user_id"], unique=False)

    op.create_table(
        "triggermembership",
        sa.Column("scenario_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=33), nullable=False),
        sa.Column("inside", sa.Boolean(), nullable=False),
        sa.Column("changed_at", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scenario_id", "user_id"),
    )
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entry", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column("event_seq", sa.BigInteger(), nullable=False, server_default="0")
        )

    with op.batch_alter_table("friend", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("picture_url", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("language", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(sa.Column("profile_at", store.types.UTCDateTime(), nullable=True))

    with op.batch_alter_table("stepentry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_seq", sa.BigInteger(), nullable=True))

    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("stepentry", schema=None) as batch_op:
        batch_op.drop_column("event_seq")

    with op.batch_alter_table("friend", schema=None) as batch_op:
        batch_op.drop_column("profile_at")
        batch_op.drop_column("language")
        batch_op.drop_column("picture_url")
        batch_op.drop_column("display_name")

    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_column("event_seq")
        batch_op.drop_column("entry")

    op.drop_table("triggermembership")
    with op.batch_alter_table("trackedlink", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trackedlink_user_id"))
        batch_op.drop_index(batch_op.f("ix_trackedlink_scenario_id"))
        batch_op.drop_index(batch_op.f("ix_trackedlink_enrollment_id"))

    op.drop_table("trackedlink")
    op.drop_table("joinrequest")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_user_id"))
        batch_op.drop_index(batch_op.f("ix_event_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_event_name"))

    op.drop_table("event")
    with op.batch_alter_table("click", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_click_user_id"))
        batch_op.drop_index(batch_op.f("ix_click_token"))
        batch_op.drop_index(batch_op.f("ix_click_scenario_id"))
        batch_op.drop_index(batch_op.f("ix_click_enrollment_id"))
        batch_op.drop_index(batch_op.f("ix_click_clicked_at"))

    op.drop_table("click")
    # ### end Alembic commands ###
