"""API tokens expire; a case's deep link is single-use and expires, and a case remembers that
its family asked Komek to forget the chat; failed staff authentications are counted. A reply
knows the message it answers and keeps its buttons until it is sent, so that a channel's retry
or a restart can deliver it again; what the retention job deletes by age is indexed.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch (copy and rename) on SQLite would fire the ON DELETE actions of
    # the tables that refer to these.
    op.add_column("staff_tokens", sa.Column("expires_at", sa.DateTime(timezone=True)))
    op.add_column("cases", sa.Column("link_expires_at", sa.DateTime(timezone=True)))
    op.add_column("cases", sa.Column("link_used_at", sa.DateTime(timezone=True)))
    op.add_column("cases", sa.Column("chat_forgotten_at", sa.DateTime(timezone=True)))
    op.add_column("messages", sa.Column("reply_to", sa.Integer()))
    op.add_column("messages", sa.Column("choices", sa.JSON()))
    op.create_index("ix_messages_reply_to", "messages", ["reply_to"])
    op.create_index("ix_messages_created_at", "messages", ["created_at"])
    op.create_index("ix_assessments_created_at", "assessments", ["created_at"])
    op.create_table(
        "staff_auth_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(64)),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),  # token, password, totp
    )
    op.create_index("ix_staff_auth_failures_at", "staff_auth_failures", ["at"])
    op.create_index("ix_staff_auth_failures_username", "staff_auth_failures", ["username", "at"])
    op.create_index("ix_staff_auth_failures_ip", "staff_auth_failures", ["ip", "at"])


def downgrade() -> None:
    op.drop_table("staff_auth_failures")
    op.drop_index("ix_assessments_created_at", "assessments")
    op.drop_index("ix_messages_created_at", "messages")
    op.drop_index("ix_messages_reply_to", "messages")
    op.drop_column("messages", "choices")
    op.drop_column("messages", "reply_to")
    op.drop_column("cases", "chat_forgotten_at")
    op.drop_column("cases", "link_used_at")
    op.drop_column("cases", "link_expires_at")
    op.drop_column("staff_tokens", "expires_at")
