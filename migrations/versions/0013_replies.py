"""replies: a scenario's first message may go as a free reply to the event that started it

`enrollment.reply_event` names the webhook event (follow, message, postback) whose replyToken
the enrollment may use; `webhookevent.reply_claimed_by` the enrollment that used it (LINE takes
a token once) and when; `delivery.via` whether a row's messages went as a push (counted in the plan)
or as a reply (free); `delivery.silent` whether it went without a notification. Rows from
before are pushes, with a sound.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reply_event", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    with op.batch_alter_table("webhookevent", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reply_claimed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
            )
        )
        batch_op.add_column(sa.Column("reply_claimed_at", store.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "via", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="push"
            )
        )
        batch_op.add_column(
            sa.Column("silent", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("silent")
        batch_op.drop_column("via")
    with op.batch_alter_table("webhookevent", schema=None) as batch_op:
        batch_op.drop_column("reply_claimed_at")
        batch_op.drop_column("reply_claimed_by")
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_column("reply_event")
