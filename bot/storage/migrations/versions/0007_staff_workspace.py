"""The staff workspace: browser sessions, a member's language, two-factor sign-in and passwords
an administrator set; notes on cases and the terms a case is found by; campaigns scheduled for
later; poverty lines added by staff; a contact's messages indexed in time order, and the audit
log by person and by action, and the family behind a contact.

Revision ID: 0007
Revises: 0006
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"

# As `bot.staff.search.terms` folds them (copied: a migration must not change with the code).
_FOLD = str.maketrans("әіңғүұқөһё", "аингуукохе")
_WORD = re.compile(r"[^\W_]+")


def _terms(name: str, phone: str) -> set[str]:
    words = {w[:64] for w in _WORD.findall(name.casefold().translate(_FOLD))}
    return words | {"#" + "".join(ch for ch in phone if ch.isdigit())[::-1]}


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch (copy and rename) on SQLite would fire the ON DELETE actions of
    # the tables that refer to these.
    op.add_column("staff", sa.Column("language", sa.String(2)))
    op.add_column(
        "staff",
        sa.Column(
            "must_change_password", sa.Boolean(), nullable=False, server_default=sa.text("false")
        ),
    )
    op.add_column("staff", sa.Column("totp_secret", sa.String(64)))
    op.add_column("staff", sa.Column("totp_last_step", sa.Integer()))
    op.add_column("campaigns", sa.Column("scheduled_at", sa.DateTime(timezone=True)))
    # The timeline of a family and its last contact: one index seek per contact.
    op.create_index("ix_messages_contact_time", "messages", ["contact_id", "created_at"])
    op.drop_index("ix_messages_contact_id", "messages")
    op.create_index("ix_audit_log_staff", "audit_log", ["staff_id", "at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action", "at"])
    op.create_index("ix_cases_sms_contact_id", "cases", ["sms_contact_id"])
    op.create_index("ix_cases_telegram_contact_id", "cases", ["telegram_contact_id"])

    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "staff_id",
            sa.Integer(),
            sa.ForeignKey("staff.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("totp_pending", sa.String(64)),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_notes_case_id", "case_notes", ["case_id"])
    terms = op.create_table(
        "case_terms",
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("cases.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("term", sa.String(64), primary_key=True),
    )
    op.create_index("ix_case_terms_term", "case_terms", ["term", "case_id"])
    op.create_table(
        "poverty_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("region", sa.String(40), nullable=False),
        sa.Column("quarter", sa.Date(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("source_title", sa.String(300), nullable=False),
        sa.Column("source_url", sa.String(500), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("region", "quarter", name="uq_poverty_lines_quarter"),
    )

    # The cases imported before: their terms, so that they can be found.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, name, phone FROM cases")).all()
    batch: list[dict[str, object]] = []
    for case_id, name, phone in rows:
        batch.extend({"case_id": case_id, "term": t} for t in sorted(_terms(name, phone)))
        if len(batch) >= 5000:
            op.bulk_insert(terms, batch)
            batch = []
    if batch:
        op.bulk_insert(terms, batch)


def downgrade() -> None:
    op.drop_table("poverty_lines")
    op.drop_table("case_terms")
    op.drop_table("case_notes")
    op.drop_table("staff_sessions")
    op.create_index("ix_messages_contact_id", "messages", ["contact_id"])
    op.drop_index("ix_messages_contact_time", "messages")
    op.drop_index("ix_audit_log_action", "audit_log")
    op.drop_index("ix_cases_telegram_contact_id", "cases")
    op.drop_index("ix_cases_sms_contact_id", "cases")
    op.drop_index("ix_audit_log_staff", "audit_log")
    op.drop_column("campaigns", "scheduled_at")
    op.drop_column("staff", "totp_last_step")
    op.drop_column("staff", "totp_secret")
    op.drop_column("staff", "must_change_password")
    op.drop_column("staff", "language")
