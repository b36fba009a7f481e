"""Feedback: a family's rating (1 to 5) and optional comment after a result or a visit, and, on a
contact, the visit whose question it was sent and has not answered yet.

Revision ID: 0010
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    # A plain ADD COLUMN: a batch (copy and rename) on SQLite would fire the ON DELETE actions
    # of the tables that refer to contacts.
    op.add_column("contacts", sa.Column("feedback_visit", sa.Integer()))
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("region", sa.String(40)),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text()),
        sa.Column(
            "appointment_id", sa.Integer(), sa.ForeignKey("appointments.id", ondelete="SET NULL")
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_contact_id", "feedback", ["contact_id"])
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])
    op.create_index("ix_feedback_region_time", "feedback", ["region", "created_at"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_column("contacts", "feedback_visit")
