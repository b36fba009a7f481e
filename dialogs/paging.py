"""Long answers read in parts on SMS: every SMS reply stays within `SMS_BUDGET` segments, and
what does not fit comes with "More" (a result, the reasons for it, an explanation, a booking).

The parts are worked out from the text as the person will read it, in their language
(`Ctx.label_of`), laid out as the SMS channel lays out a reply: the lines, then the numbered
choices on one line. The session keeps only the page number, with the step it belongs to (the
engine drops it when the step changes): the lines are made again from the answers each time.
"""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.engine import Answer, Choice, Ctx, Reply
from dialogs.segments import SMS_BUDGET, within_budget
from dialogs.text import Text, msg

__all__ = ["MORE", "SMS_BUDGET", "back", "fits", "more", "page", "paged", "parts"]

MORE = Choice("more", msg("More"))


def fits(ctx: Ctx, lines: Sequence[Text], choices: Sequence[Choice]) -> bool:
    return within_budget(lines, [c.label for c in choices], ctx.lang, ctx.label_of)


def parts(ctx: Ctx, lines: Sequence[Text], choices: Sequence[Choice]) -> list[list[Text]]:
    """The lines in parts that each fit in one SMS reply with "More" and `choices`; one part on
    the other channels. A line too long for a part of its own still makes one."""
    if not ctx.sms or fits(ctx, lines, choices):
        return [list(lines)]
    found: list[list[Text]] = [[]]
    for line in lines:
        if found[-1] and not fits(ctx, [*found[-1], line], [MORE, *choices]):
            found.append([])
        found[-1].append(line)
    return found


def page(ctx: Ctx, step_id: str) -> int:
    kept = ctx.session.get("page")
    if isinstance(kept, dict) and kept.get("step") == step_id:
        return max(int(kept.get("n", 0)), 0)
    return 0


def _turn(ctx: Ctx, step_id: str, n: int) -> None:
    ctx.session["page"] = {"step": step_id, "n": n}


def paged(ctx: Ctx, step_id: str, lines: Sequence[Text], choices: tuple[Choice, ...]) -> Reply:
    """The part of `lines` the person is at, with "More" while there is more to read."""
    found = parts(ctx, lines, choices)
    n = min(page(ctx, step_id), len(found) - 1)
    last = n == len(found) - 1
    return Reply(tuple(found[n]), choices if last else (MORE, *choices))


def more(ctx: Ctx, step_id: str, given: Answer) -> bool:
    """ "More" chosen: the next part (the caller shows the step again)."""
    if given.key != MORE.key:
        return False
    _turn(ctx, step_id, page(ctx, step_id) + 1)
    return True


def back(ctx: Ctx, step_id: str) -> str | None:
    """ "Back" within the parts: the part before, while there is one."""
    n = page(ctx, step_id)
    if n <= 0:
        return None
    _turn(ctx, step_id, n - 1)
    return step_id
