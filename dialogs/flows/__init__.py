"""The dialogs, one module each, declared as steps with stable ids. Importing this package
registers them with the engine."""

from dialogs.flows import (
    application,
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
    "application",
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
