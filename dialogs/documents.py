"""The family's own list of documents, in words: from the household of its last result
(`core.documents`), shown after the result, with a visit's confirmation and under "my
application". On SMS the list is the short form: kinds of paper with their counts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from core.documents import Document, basic_documents, documents_for
from core.errors import CoreError
from dialogs.text import Month, Text, msg, nmsg, pmsg


def household_of(session: Mapping[str, Any]) -> dict[str, Any] | None:
    """The household of the last result shown (kept in the session until "forget me")."""
    kept = session.get("assessed")
    if not isinstance(kept, str):
        return None
    try:
        data = json.loads(kept)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def family_documents(session: Mapping[str, Any]) -> list[Document] | None:
    """The documents of the family whose last result this session shows; None without one."""
    data = household_of(session)
    if data is None:
        return None
    try:
        return documents_for(data)
    except (CoreError, ValueError, TypeError, KeyError):  # a household kept by an older release
        return None


def _months(document: Document) -> dict[str, Month]:
    first, second, third = document.months
    return {"first": Month(first), "second": Month(second), "third": Month(third)}


def _member(document: Document) -> dict[str, str | int]:
    return {"number": str((document.member or 0) + 1), "age": document.age or 0}


def document_text(document: Document, *, to_family: bool = True) -> Text:
    """One document, as a line of the full list (`to_family`: as the family reads it, the
    applicant's own as "your"; the staff read every member by number)."""
    code = document.code
    if code == "application":
        return msg("The application, with the IBAN of your bank account (Kazpost or Halyk Bank)")
    if code == "identity":
        if document.member == 0:
            return msg("Your identity card") if to_family else msg("The applicant's identity card")
        return msg("Identity card: family member {number} (age {age})", **_member(document))
    if code == "birth_certificate":
        return msg("Birth certificate: family member {number} (age {age})", **_member(document))
    if code == "income":
        return msg(
            "Certificates of income for {first}, {second} and {third} that egov does not show",
            **_months(document),
        )
    if code == "alimony":
        return msg("Alimony certificate for {first}, {second} and {third}", **_months(document))
    if code == "alimony_if_any":
        return msg(
            "If you receive alimony: the alimony certificate for {first}, {second} and {third}",
            **_months(document),
        )
    if code == "disability":
        return msg(
            "Disability certificate: family member {number} (age {age})", **_member(document)
        )
    return msg(
        "Certificate of full-time study: family member {number} (age {age})", **_member(document)
    )


def short_texts(documents: Sequence[Document]) -> list[Text]:
    """The list in few words, for SMS: each kind of paper once, with its count."""
    counts = Counter(d.code for d in documents)
    shown: list[Text] = []
    for code in dict.fromkeys(d.code for d in documents):
        n = counts[code]
        if code == "application":
            shown.append(pmsg("short", "application with IBAN"))
        elif code == "identity":
            shown.append(nmsg("{n} identity card", "{n} identity cards", n))
        elif code == "birth_certificate":
            shown.append(nmsg("{n} birth certificate", "{n} birth certificates", n))
        elif code == "income":
            shown.append(pmsg("short", "income certificates"))
        elif code == "alimony":
            shown.append(pmsg("short", "alimony certificate"))
        elif code == "alimony_if_any":
            shown.append(pmsg("short", "alimony certificate if you receive it"))
        elif code == "disability":
            shown.append(nmsg("{n} disability certificate", "{n} disability certificates", n))
        else:
            shown.append(nmsg("{n} study certificate", "{n} study certificates", n))
    return shown


def document_lines(documents: Sequence[Document] | None, *, sms: bool) -> list[Text]:
    """What the family reads: a heading and the list (the basic one when the household is not
    known); on SMS one line of kinds and counts."""
    known = documents if documents else basic_documents()
    if sms:
        items = short_texts(known)
        return [msg("Documents: {items}.", items=listed(items))]
    return [
        msg("Documents to bring to the career centre:"),
        *(msg("– {item}", item=document_text(d)) for d in known),
    ]


def listed(items: Sequence[Text]) -> Text:
    """Several items as one line, separated by semicolons."""
    if len(items) == 1:
        return items[0]
    return msg("{first}; {rest}", first=items[0], rest=listed(items[1:]))
