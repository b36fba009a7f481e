"""A person when the bot is not enough: the conversations families passed to a social worker
(the inbox and the regions' queues), and the replies kept ready for them per region and
language.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "inbox_conversations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="SET NULL")),
        sa.Column("region", sa.String(40)),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("taken", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("read_upto", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("first_message_id", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_answer_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_inbox_conversations_contact_id", "inbox_conversations", ["contact_id"])
    op.create_index("ix_inbox_open_region", "inbox_conversations", ["closed_at", "region"])
    op.create_index("ix_inbox_open_staff", "inbox_conversations", ["closed_at", "staff_id"])
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("region", sa.String(40)),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_canned_replies_region", "canned_replies", ["region", "language"])


def downgrade() -> None:
    op.drop_table("canned_replies")
    op.drop_table("inbox_conversations")
