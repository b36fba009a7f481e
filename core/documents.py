"""The documents a family brings with its TSA application, worked out from its household.

tsa-rules.md §4 "Documents": the identity document, and what the authority cannot get from the
state information systems itself, such as the alimony certificate for the income quarter
(Aktobe, Q1 2026: "Справка об алиментах (за октябрь, ноябрь, декабрь 2025 года)"). The
application names an IBAN (egov pass166_mtszn). Offices also ask for the income of the income
quarter that is not in the Digital Family Map, the disability certificate, and, for a member of
18 to 23 in full-time study (counted in the family whether or not they live with it, Social
Code art. 120 p.5), a certificate from the place of study (tsa-rules §3.4).

The list is codes with the facts they name (a member, the income quarter's months); the dialogs
say them in words and the staff page ticks them off by `key`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.dates import add_months, previous_quarter_start
from core.household import Household, parse_household

# An identity card is issued from 16; a younger child is shown by the birth certificate.
ID_CARD_AGE = 16
# Social Code art. 120 p.5: after 18, "не более чем до достижения двадцатитрехлетнего возраста"
# (as core/parameters/family_composition.yaml reads it: under 23).
STUDENT_AGES = (18, 23)


@dataclass(frozen=True, slots=True)
class Document:
    code: str  # application, identity, birth_certificate, income, alimony, alimony_if_any,
    # disability, study
    member: int | None = None  # the member's index, for a document of one member
    age: int | None = None  # that member's age, to name them by
    months: tuple[date, ...] = field(default=())  # the income quarter's months, first days

    @property
    def key(self) -> str:
        """Stable within a family: how the staff's checklist keeps it ticked."""
        return self.code if self.member is None else f"{self.code}:{self.member}"


def income_months(on: date) -> tuple[date, date, date]:
    """The months of the quarter before the application's quarter, whose income counts
    (Social Code art. 127 p.2)."""
    first = previous_quarter_start(on)
    return first, add_months(first, 1), add_months(first, 2)


def documents_for(data: Mapping[str, Any] | Household) -> list[Document]:
    """The family's documents, from its household (as `komek assess` reads it, or parsed)."""
    household = data if isinstance(data, Household) else parse_household(data)
    months = income_months(household.date)
    found = [Document("application")]
    for m in household.members:
        code = "identity" if m.age >= ID_CARD_AGE else "birth_certificate"
        found.append(Document(code, m.index, m.age))
    earns = any(m.income > 0 or any(v > 0 for _, v in m.incomes) for m in household.members)
    if earns:
        found.append(Document("income", months=months))
    alimony = any(kind == "alimony" and v > 0 for m in household.members for kind, v in m.incomes)
    if alimony:
        found.append(Document("alimony", months=months))
    elif any(m.age < 18 for m in household.members):
        # A single income figure does not say whether alimony is in it: the family is told
        # to bring the certificate if it receives any.
        found.append(Document("alimony_if_any", months=months))
    for m in household.members:
        if m.disability_group or m.child_disability:
            found.append(Document("disability", m.index, m.age))
    low, high = STUDENT_AGES
    for m in household.members:
        if m.student_full_time and low <= m.age < high:
            found.append(Document("study", m.index, m.age))
    return found


def basic_documents() -> list[Document]:
    """What every applicant brings, for a family whose household is not known."""
    return [Document("application"), Document("identity", 0)]
