"""The tables as Core `Table` handles, named once: every room writes its statements against
these (the ORM classes in `models` define the schema; the statements use Core)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from bot.storage.models import (
    Appointment,
    Assessment,
    AuditEntry,
    Campaign,
    CannedReply,
    Case,
    CaseDocument,
    CaseNote,
    CaseStage,
    CaseTerm,
    Contact,
    Conversation,
    FeedbackRow,
    Handover,
    InboxConversation,
    LinkCode,
    Message,
    OfficeRow,
    Outbox,
    Person,
    PovertyLineRow,
    Staff,
    StaffAuthFailure,
    StaffSession,
    StaffToken,
)

CONTACTS = cast(Table, Contact.__table__)
CONVERSATIONS = cast(Table, Conversation.__table__)
MESSAGES = cast(Table, Message.__table__)
ASSESSMENTS = cast(Table, Assessment.__table__)
OFFICES = cast(Table, OfficeRow.__table__)
APPOINTMENTS = cast(Table, Appointment.__table__)
OUTBOX = cast(Table, Outbox.__table__)
STAFF = cast(Table, Staff.__table__)
TOKENS = cast(Table, StaffToken.__table__)
AUDIT = cast(Table, AuditEntry.__table__)
CASES = cast(Table, Case.__table__)
CAMPAIGNS = cast(Table, Campaign.__table__)
AUTH_FAILURES = cast(Table, StaffAuthFailure.__table__)
HANDOVERS = cast(Table, Handover.__table__)
PEOPLE = cast(Table, Person.__table__)
LINK_CODES = cast(Table, LinkCode.__table__)
SESSIONS = cast(Table, StaffSession.__table__)
CASE_NOTES = cast(Table, CaseNote.__table__)
CASE_TERMS = cast(Table, CaseTerm.__table__)
POVERTY_LINES = cast(Table, PovertyLineRow.__table__)
FEEDBACK = cast(Table, FeedbackRow.__table__)
INBOX = cast(Table, InboxConversation.__table__)
CANNED_REPLIES = cast(Table, CannedReply.__table__)
CASE_STAGES = cast(Table, CaseStage.__table__)
CASE_DOCUMENTS = cast(Table, CaseDocument.__table__)
