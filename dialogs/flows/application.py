"""My application ("менің өтінішім", "моя заявка"): the family's case, its stage with the date and
what it carries, and the next step; a family without a case is told how and where to apply
(tsa-rules.md §4: egov.kz, the career centre, the akim in a village). Reached from the menu and by
its global words at any time."""

from __future__ import annotations

from dialogs import paging
from dialogs.engine import Answer, Choice, Ctx, Go, Outcome, Reply, Retry, Step, register
from dialogs.flows.visit import start_visit
from dialogs.stages import stage_lines
from dialogs.text import Local, Text, msg, pmsg

STEP = "my_application"
MENU = Choice("menu", msg("Menu"))
NO_CASE_CHOICES = (Choice("visit", pmsg("short", "Visit")), MENU)


def lines(ctx: Ctx) -> tuple[list[Text], tuple[Choice, ...]]:
    found = ctx.cases.mine() if ctx.cases is not None else None
    if found is None:
        return [
            msg("We have no TSA application of yours on record."),
            msg(
                "To apply: on egov.kz (the service «Targeted social assistance»), or at the "
                "career centre where you live; in a village, at the akim's office."
            ),
        ], NO_CASE_CHOICES
    if found.stage is None or found.on is None:
        return [
            msg("Your social worker has your case; no stage of it is recorded yet."),
        ], (MENU,)
    shown = stage_lines(found.stages, found.stage, found.on, found.fields, sms=ctx.sms)
    if found.earlier and not ctx.sms:
        shown.append(msg("Before:"))
        shown.extend(
            msg("{date}: {stage}", date=on, stage=Local.of(stage.name))
            for stage, on in reversed(found.earlier)
        )
    return shown, (MENU,)


def ask(ctx: Ctx) -> Reply:
    shown, choices = lines(ctx)
    return paging.paged(ctx, STEP, shown, choices)


def answer(ctx: Ctx, given: Answer) -> Outcome:
    if paging.more(ctx, STEP, given):
        return Go(STEP)
    if given.key == "visit":
        if not ctx.session.get("consent"):
            return Go("consent")
        return start_visit(ctx)
    if given.key == "menu":
        return Go("menu" if ctx.session.get("consent") else "consent")
    return Retry(msg("Please choose a number from the menu."))


register(
    Step(
        STEP,
        ask,
        answer,
        flow="application",
        remember=False,
        question=False,
        back=lambda ctx: paging.back(ctx, STEP),
    )
)
