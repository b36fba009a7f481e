"""A web conversation handed over to Telegram (a link) or to a phone (a code sent by SMS).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "web_contact_id",
            sa.Integer(),
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),  # telegram, sms
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column(
            "phone_contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="CASCADE")
        ),
        sa.Column("to_contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_handovers_web_contact_id", "handovers", ["web_contact_id"])
    op.create_index("ix_handovers_code_hash", "handovers", ["code_hash"])


def downgrade() -> None:
    op.drop_table("handovers")
