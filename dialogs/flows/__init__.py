"""The dialogs, one module each, declared as steps with stable ids. Importing this package
registers them with the engine."""

from dialogs.flows import (
    assessment,
    consent,
    explanations,
    feedback,
    forget,
    handover,
    language,
    menu,
    person,
    reminders,
    result,
    visit,
)

__all__ = [
    "assessment",
    "consent",
    "explanations",
    "feedback",
    "forget",
    "handover",
    "language",
    "menu",
    "person",
    "reminders",
    "result",
    "visit",
]
