"""WhatsApp and channel fallback: contacts that are the same person are linked through a
person; a contact a channel cannot reach says why; an outbound message remembers the WhatsApp
template it went as; an outbox row keeps its ordered list of contacts to try, where it stands in
it, and every attempt; codes that link one contact to another (a deep link, an SMS code).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Plain ADD COLUMNs: a batch (copy and rename) of contacts or messages on SQLite would fire
    # the ON DELETE actions of every table that refers to them.
    # No foreign key: SQLite can add one only inline, which its reflection then misreads; a
    # person row is never deleted (it is only a number that contacts share).
    op.add_column("contacts", sa.Column("person_id", sa.Integer()))
    op.create_index("ix_contacts_person_id", "contacts", ["person_id"])
    op.add_column("contacts", sa.Column("unreachable", sa.String(40)))
    op.add_column("messages", sa.Column("template", sa.String(64)))
    op.add_column("outbox", sa.Column("route", sa.JSON()))
    op.add_column(
        "outbox", sa.Column("hop", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    op.add_column("outbox", sa.Column("tried", sa.JSON()))
    op.create_table(
        "link_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(16)),
        sa.Column("address", sa.String(128)),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_link_codes_contact_id", "link_codes", ["contact_id"])


def downgrade() -> None:
    op.drop_table("link_codes")
    op.drop_column("outbox", "tried")
    op.drop_column("outbox", "hop")
    op.drop_column("outbox", "route")
    op.drop_column("messages", "template")
    op.drop_column("contacts", "unreachable")
    op.drop_index("ix_contacts_person_id", "contacts")
    op.drop_column("contacts", "person_id")
    op.drop_table("people")
