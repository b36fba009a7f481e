"""Caseloads and campaigns; contacts may ask for quarterly reminders.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    # A plain ADD COLUMN: on SQLite a batch (copy and rename) of contacts would cascade-delete
    # every row that refers to them.
    op.add_column(
        "contacts",
        sa.Column("reminders", sa.Boolean(), nullable=False, server_default=sa.text("false")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False, unique=True),
        sa.Column("region", sa.String(40), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.Column("next_reassessment", sa.Date()),
        sa.Column(
            "sms_contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="SET NULL")
        ),
        sa.Column(
            "telegram_contact_id",
            sa.Integer(),
            sa.ForeignKey("contacts.id", ondelete="SET NULL"),
        ),
        sa.Column("link_code", sa.String(24), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_cases_staff_id", "cases", ["staff_id"])
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_campaigns_staff_id", "campaigns", ["staff_id"])


def downgrade() -> None:
    op.drop_table("campaigns")
    op.drop_table("cases")
    op.drop_column("contacts", "reminders")
