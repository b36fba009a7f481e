"""The case, step by step: a case's number in the official system (unique where given), its
stage and the history of its stages, and the documents its worker has ticked off.

Revision ID: 0009
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch (copy and rename) on SQLite would fire the ON DELETE actions of
    # the tables that refer to cases. The uniqueness is an index (SQLite cannot add a UNIQUE
    # column); both databases let any number of cases have no number.
    op.add_column("cases", sa.Column("case_number", sa.String(40)))
    op.add_column("cases", sa.Column("stage", sa.String(40)))
    op.add_column("cases", sa.Column("stage_on", sa.Date()))
    op.create_index("ix_cases_case_number", "cases", ["case_number"], unique=True)
    op.create_table(
        "case_stages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_stages_case", "case_stages", ["case_id", "id"])
    op.create_table(
        "case_documents",
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("cases.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("document", sa.String(40), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_documents")
    op.drop_table("case_stages")
    op.drop_index("ix_cases_case_number", "cases")
    op.drop_column("cases", "stage_on")
    op.drop_column("cases", "stage")
    op.drop_column("cases", "case_number")
