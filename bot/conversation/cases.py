"""The dialogs' case port (`dialogs.cases.Cases`) on the database: the case of the family writing
(found through any of its linked contacts), its newest stage and the stages before it. It runs
inside the turn's transaction and only reads."""

from __future__ import annotations

from sqlalchemy import Connection

from bot.parameters import default_stages
from bot.storage import stages as stored
from dialogs.cases import MyCase


class DbCases:
    """`dialogs.cases.Cases` for one contact, in one transaction."""

    def __init__(self, connection: Connection, contact_id: int) -> None:
        self.connection = connection
        self.contact_id = contact_id

    def mine(self) -> MyCase | None:
        case_id = stored.case_of_contact(self.connection, self.contact_id)
        if case_id is None:
            return None
        stages = default_stages()
        changes = stored.history(self.connection, case_id, limit=20)
        known = [(c, stages.get(c.stage)) for c in changes]
        shown = [(c, s) for c, s in known if s is not None]  # a stage no longer in the data
        if not shown:
            return MyCase(stages)
        newest, stage = shown[0]
        earlier = tuple((s, c.on) for c, s in reversed(shown[1:]))
        return MyCase(stages, stage, newest.on, newest.fields, earlier)
