"""A case's stage in words: what the notice of a change says and what "my application" shows.
The stage's name and next step are data (`core/stages.yaml`, in kk, ru and en); the words around
them are the catalogs'. On SMS a refusal names the appeal route in one short line (the whole
route is on Telegram and under "my application"), and a list of documents takes the next step's
place, so that every notice fits `SMS_BUDGET`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from core.documents import Document
from core.stages import Stage, Stages
from dialogs.documents import document_text, listed, short_texts
from dialogs.text import Local, Money, Text, msg, nmsg

CATEGORY = {
    "unconditional": msg("unconditional assistance"),
    "conditional": msg("conditional assistance, with a social contract"),
}


def documents_of(fields: Mapping[str, Any]) -> list[Document]:
    """The documents a change of stage kept as missing (see `documents_field`)."""
    found: list[Document] = []
    for item in fields.get("documents") or ():
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            continue
        member = item.get("member")
        age = item.get("age")
        months = tuple(date.fromisoformat(m) for m in item.get("months") or ())
        found.append(
            Document(
                item["code"],
                member if isinstance(member, int) else None,
                age if isinstance(age, int) else None,
                months,
            )
        )
    return found


def documents_field(documents: Sequence[Document]) -> list[dict[str, Any]]:
    """Documents as a change of stage keeps them (JSON)."""
    return [
        {
            "code": d.code,
            "member": d.member,
            "age": d.age,
            "months": [m.isoformat() for m in d.months],
        }
        for d in documents
    ]


def stage_lines(
    stages: Stages,
    stage: Stage,
    on: date,
    fields: Mapping[str, Any],
    *,
    sms: bool,
) -> list[Text]:
    """The stage as the family reads it: its name and date, what it carries, the next step."""
    lines = [msg("Your TSA application: {stage} ({date}).", stage=Local.of(stage.name), date=on)]
    amount, months, category = fields.get("amount"), fields.get("months"), fields.get("category")
    if amount and isinstance(months, int) and category in CATEGORY:
        lines.append(
            nmsg(
                "{amount} a month for {n} month, {category}.",
                "{amount} a month for {n} months, {category}.",
                months,
                amount=Money(Decimal(str(amount))),
                category=CATEGORY[category],
            )
        )
    elif amount:
        lines.append(msg("Amount: {amount}.", amount=Money(Decimal(str(amount)))))
    if fields.get("reason"):
        lines.append(msg("Reason: {reason}.", reason=str(fields["reason"])))
    missing = documents_of(fields)
    if missing:
        if sms:
            # The list is the next step: on SMS it takes the next step's place, so that a large
            # family's list still fits the budget.
            lines.append(msg("Still to bring: {items}.", items=listed(short_texts(missing))))
            return lines
        lines.append(msg("Still to bring:"))
        lines.extend(msg("– {item}", item=document_text(d)) for d in missing)
    if stage.appeal:
        by = stages.appeal.by(on)
        if sms:
            lines.append(msg("You may appeal to the higher body or to court by {date}.", date=by))
            return lines
        lines.append(msg("{route} Appeal by {date}.", route=Local.of(stages.appeal.route), date=by))
    lines.append(msg("Next: {step}", step=Local.of(stage.next_step)))
    return lines
