"""The notice of a change of a case's stage: queued with the change (in its transaction), keyed
`stage:<change id>` so that each change is told once whoever queues it again, and written when it
is sent, in the family's language, for its channel (shorter on SMS: `dialogs.stages`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from bot.delivery.outbox import Claimed, Render, Rendered, enqueue, notice
from bot.i18n.translator import Translator
from bot.parameters import default_stages
from bot.storage import stages as stored
from core.stages import Stage, Stages
from dialogs.stages import stage_lines
from dialogs.text import msg

KIND = "stage_notice"
SERVES = "stage_changed"


def stage_key(change_id: int) -> str:
    return f"stage:{change_id}"


def tell_stage(connection: Connection, change_id: int, contact_id: int, now: datetime) -> None:
    """Queue the notice of a change of stage (left as it is when queued before)."""
    enqueue(
        connection,
        key=stage_key(change_id),
        contact_id=contact_id,
        kind=KIND,
        payload={"change": change_id},
        due_at=now,
        now=now,
    )


def notice_text(
    translator: Translator,
    stages: Stages,
    stage: Stage,
    on: date,
    fields: Mapping[str, Any],
    *,
    language: str,
    sms: bool,
) -> tuple[str, str]:
    """The notice of a stage in `language`: as text, and on one line (for the approved form)."""
    said = [
        translator.render(line, language)
        for line in stage_lines(stages, stage, on, fields, sms=sms)
    ]
    text = translator.render(msg("Komek: {details}", details="\n".join(said)), language)
    return text, " / ".join(said).rstrip(".")


def renderer(translator: Translator) -> Render:
    def render(
        connection: Connection, row: Claimed, language: str, now: datetime
    ) -> Rendered | None:
        del now
        found = stored.change(connection, int(row.payload["change"]))
        stages = default_stages()
        stage = None if found is None else stages.get(found.stage)
        if found is None or stage is None:
            return None  # the case was deleted, or its stage is no longer in the data
        text, one_line = notice_text(
            translator,
            stages,
            stage,
            found.on,
            found.fields,
            language=language,
            sms=row.channel == "sms",
        )
        return Rendered(text, notice(translator, SERVES, {"details": one_line}, language))

    return render
