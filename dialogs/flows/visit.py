"""A visit to the career centre (or, in a village, the akim's office) to apply in person and, for
conditional assistance, to sign the social contract: choose the office, a day and a time, and
confirm; then see, move or cancel it ("my visit", or VISIT at any time).

On SMS the day and the time are one choice: three free slots at a time, with "more". The slots
and the booking itself come from the `Appointments` port, which the runner implements on the
database; a slot taken by someone else meanwhile gets "just taken, here are the next ones".

The region of the self-assessment is used when it has an office; "back" on a list shown page by
page turns back a page. The confirmation gives the booking's number, the office's address, phone
and hours, and what to bring (on SMS in parts within the budget).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from core.almaty import local
from core.offices import Office
from core.slots import Slot, reminder_at
from dialogs import paging
from dialogs.appointments import Appointments, Booking
from dialogs.documents import document_lines, family_documents
from dialogs.engine import Answer, Choice, Ctx, Go, Outcome, Reply, Retry, Step, register
from dialogs.flows import handover
from dialogs.regions import REGION_NAMES, sorted_regions
from dialogs.text import Clock, Day, Local, Text, joined, msg

FLOW = "visit"
OFFICE_PAGE = 6
REGION_PAGE = 7
DAY_PAGE = 5
TIME_PAGE = 8
SMS_SLOTS = 3
LOOKAHEAD = 500  # slots read ahead to find the next days with a free time

MENU = Choice("menu", msg("Menu"))
WEEKDAY_NAMES = (
    msg("Monday"),
    msg("Tuesday"),
    msg("Wednesday"),
    msg("Thursday"),
    msg("Friday"),
    msg("Saturday"),
    msg("Sunday"),
)


def start_visit(ctx: Ctx) -> Outcome:
    """Enter the visit dialog afresh (from the menu, the result, or the word VISIT)."""
    ctx.session["visit"] = {}
    return Go("visit_closed")


def _state(ctx: Ctx) -> dict[str, Any]:
    state: dict[str, Any] = ctx.session.setdefault("visit", {})
    return state


def _port(ctx: Ctx) -> Appointments:
    assert ctx.appointments is not None  # the steps below apply only with a port
    return ctx.appointments


def _offices(ctx: Ctx) -> list[Office]:
    return list(ctx.appointments.offices()) if ctx.appointments is not None else []


def _office(ctx: Ctx) -> Office | None:
    wanted = _state(ctx).get("office")
    return next((o for o in _offices(ctx) if o.id == wanted), None)


def _upcoming(ctx: Ctx) -> list[Booking]:
    return _port(ctx).upcoming() if ctx.appointments is not None else []


def _name(office: Office) -> Text:
    return msg("{office}", office=Local.of(office.name))


def _when(start: datetime) -> dict[str, Day | Clock]:
    wall = local(start)
    return {"day": Day(wall.date()), "time": Clock(wall)}


def _place(office: Office) -> dict[str, Local]:
    return {"office": Local.of(office.name), "address": Local.of(office.address)}


# ------------------------------------------------------------------------------------------
# Closed: no booking here (no database behind this channel, or no office imported yet)


def closed_applies(ctx: Ctx) -> bool:
    return not _offices(ctx)


def ask_closed(ctx: Ctx) -> Reply:
    del ctx
    return Reply(
        (
            msg(
                "Booking a visit is not available here yet. You can apply at your career "
                "centre or on egov.kz."
            ),
        ),
        (MENU,),
    )


def answer_closed(ctx: Ctx, given: Answer) -> Outcome:
    del ctx, given
    return Go("menu")


# ------------------------------------------------------------------------------------------
# My visit: the one booked, with move and cancel


def visit_applies(ctx: Ctx) -> bool:
    return bool(_upcoming(ctx))


def ask_visit(ctx: Ctx) -> Reply:
    booking = _upcoming(ctx)[0]
    return Reply(
        (
            msg(
                "Your visit no. {number}: {day} at {time}, {office}, {address}.",
                number=str(booking.id),
                **_when(booking.start),
                **_place(booking.office),
            ),
        ),
        (
            Choice("move", msg("Move it")),
            Choice("cancel", msg("Cancel it")),
            MENU,
        ),
    )


def answer_visit(ctx: Ctx, given: Answer) -> Outcome:
    booking = next(iter(_upcoming(ctx)), None)
    if given.key == "menu":
        return Go("menu")
    if booking is None:
        return start_visit(ctx)
    state = _state(ctx)
    if given.key == "move":
        state.clear()
        state.update(move=booking.id, office=booking.office.id)
        return Go("visit_day")
    if given.key == "cancel":
        state.clear()
        state["cancel"] = booking.id
        return Go("visit_cancel")
    return Retry(msg("Please choose a number from the menu."))


# ------------------------------------------------------------------------------------------
# Region and office


def _regions(ctx: Ctx) -> list[str]:
    """The regions with an office open for booking, in the order of the person's alphabet."""
    seen = {office.region for office in _offices(ctx)}
    return sorted_regions(seen, ctx.lang, ctx.label_of)


def _region(ctx: Ctx) -> str | None:
    """The region to list offices of: the one chosen here, else the person's own (from the
    self-assessment) when it has an office, else the only one there is."""
    regions = _regions(ctx)
    state = _state(ctx)
    for candidate in (state.get("region"), ctx.answers.get("region")):
        if candidate in regions:
            return str(candidate)
    return regions[0] if len(regions) == 1 else None


def region_applies(ctx: Ctx) -> bool:
    return _region(ctx) is None or bool(_state(ctx).get("pick_region"))


def ask_region(ctx: Ctx) -> Reply:
    regions = _regions(ctx)
    page = int(_state(ctx).get("region_page", 0))
    shown = regions[page * REGION_PAGE : (page + 1) * REGION_PAGE]
    choices = [Choice(code, REGION_NAMES[code]) for code in shown]
    if len(regions) > REGION_PAGE:
        if (page + 1) * REGION_PAGE < len(regions):
            choices.append(Choice("more", msg("More")))
        else:
            choices.append(Choice("first", msg("Back to the start of the list")))
    own = ctx.answers.get("region")
    lines: list[Text] = []
    if own in REGION_NAMES and own not in regions and not _state(ctx).get("pick_region"):
        # The region of the self-assessment is known: say why another is asked for.
        lines.append(
            msg(
                "Komek cannot book a visit in {region} yet: apply at your career centre or on "
                "egov.kz, or choose an office in another region.",
                region=REGION_NAMES[own],
            )
        )
    lines.append(msg("In which region do you want to visit an office?"))
    return Reply(tuple(lines), tuple(choices))


def answer_region(ctx: Ctx, given: Answer) -> Outcome:
    state = _state(ctx)
    if given.key in ("more", "first"):
        state["region_page"] = int(state.get("region_page", 0)) + 1 if given.key == "more" else 0
        return Go("visit_region")
    if given.key not in _regions(ctx):
        return Retry(msg("Please choose a number from the menu."))
    state.update(region=given.key, office_page=0)
    state.pop("pick_region", None)
    state.pop("region_page", None)
    return Go("visit_office")


def back_region(ctx: Ctx) -> str | None:
    return _page_back(ctx, "region_page", "visit_region")


def _page_back(ctx: Ctx, key: str, step_id: str) -> str | None:
    """ "Back" on a list shown page by page: the page before, while there is one."""
    state = _state(ctx)
    page = int(state.get(key, 0))
    if page > 0:
        state[key] = page - 1
        return step_id
    return None


def _region_offices(ctx: Ctx) -> list[Office]:
    region = _region(ctx)
    return [o for o in _offices(ctx) if o.region == region]


def ask_office(ctx: Ctx) -> Reply:
    offices = _region_offices(ctx)
    page = int(_state(ctx).get("office_page", 0))
    if page * OFFICE_PAGE >= len(offices):
        page = 0
    choices = [Choice(o.id, _name(o)) for o in offices[page * OFFICE_PAGE :][:OFFICE_PAGE]]
    if len(offices) > OFFICE_PAGE:
        choices.append(Choice("more", msg("More")))
    if len(_regions(ctx)) > 1:
        choices.append(Choice("region", msg("Another region")))
    return Reply((msg("Which office would you like to visit?"),), tuple(choices))


def back_office(ctx: Ctx) -> str | None:
    return _page_back(ctx, "office_page", "visit_office")


def answer_office(ctx: Ctx, given: Answer) -> Outcome:
    state = _state(ctx)
    if given.key == "more":
        state["office_page"] = int(state.get("office_page", 0)) + 1
        return Go("visit_office")
    if given.key == "region":
        state["pick_region"] = True
        return Go("visit_region")
    if given.key not in {o.id for o in _region_offices(ctx)}:
        return Retry(msg("Please choose a number from the menu."))
    state["office"] = given.key
    for stale in ("day", "day_page", "time_page", "from", "earlier", "start"):
        state.pop(stale, None)
    return Go("visit_day")


# ------------------------------------------------------------------------------------------
# Day and time (on SMS: slots three at a time)


def _slots(ctx: Ctx, first: date | None = None) -> list[Slot]:
    office = _office(ctx)
    return [] if office is None else _port(ctx).slots(office.id, first, LOOKAHEAD)


def day_applies(ctx: Ctx) -> bool:
    return not ctx.sms


def ask_day(ctx: Ctx) -> Reply:
    office = _office(ctx)
    if office is None:
        return Reply((msg("Please choose the office again."),), (MENU,))
    days = list(dict.fromkeys(local(s.start).date() for s in _slots(ctx)))
    if not days:
        return _no_times(office)
    page = int(_state(ctx).get("day_page", 0))
    if page * DAY_PAGE >= len(days):
        page = 0
    choices = [
        Choice(day.isoformat(), msg("{day}", day=Day(day)))
        for day in days[page * DAY_PAGE :][:DAY_PAGE]
    ]
    if len(days) > (page + 1) * DAY_PAGE:
        choices.append(Choice("later", msg("Later days")))
    choices.append(Choice("office", msg("Another office")))
    return Reply(
        (msg("{office}, {address}. Which day suits you?", **_place(office)),), tuple(choices)
    )


def _no_times(office: Office) -> Reply:
    return Reply(
        (
            msg(
                "{office} has no free time in the coming days. You can call them: {phone}.",
                office=Local.of(office.name),
                phone=office.phone,
            ),
        ),
        (Choice("office", msg("Another office")), MENU),
    )


def answer_day(ctx: Ctx, given: Answer) -> Outcome:
    state = _state(ctx)
    if given.key == "later":
        state["day_page"] = int(state.get("day_page", 0)) + 1
        return Go("visit_day")
    if given.key == "office":
        return _other_office(ctx)
    if given.key == "menu":
        return Go("menu")
    try:
        day = date.fromisoformat(given.key or "")
    except ValueError:
        return Retry(msg("Please choose a number from the menu."))
    state.update(day=day.isoformat(), time_page=0)
    return Go("visit_time")


def back_day(ctx: Ctx) -> str | None:
    return _page_back(ctx, "day_page", "visit_day")


def _other_office(ctx: Ctx) -> Outcome:
    state = _state(ctx)
    if state.get("move"):  # a visit is moved within its office; another office is a new booking
        return Go("visit")
    state.pop("office", None)
    return Go("visit_office")


def _times(ctx: Ctx) -> list[Slot]:
    state = _state(ctx)
    if ctx.sms:
        start = state.get("from")
        slots = _slots(ctx)
        if start:
            since = datetime.fromisoformat(start)
            slots = [s for s in slots if s.start >= since]
        return slots
    day = date.fromisoformat(state.get("day") or date.min.isoformat())
    return [s for s in _slots(ctx, day) if local(s.start).date() == day]


def time_applies(ctx: Ctx) -> bool:
    """On SMS the day and the time are one choice; elsewhere a day must have been chosen (a
    "back" from the list of days must not land on the times of no day)."""
    return ctx.sms or bool(_state(ctx).get("day"))


def ask_time(ctx: Ctx) -> Reply:
    office = _office(ctx)
    if office is None:
        return Reply((msg("Please choose the office again."),), (MENU,))
    slots = _times(ctx)
    if ctx.sms:
        if not slots:
            return _no_times(office)
        choices = [
            Choice(s.start.isoformat(), msg("{day} {time}", **_when(s.start)))
            for s in slots[:SMS_SLOTS]
        ]
        if len(slots) > SMS_SLOTS:
            choices.append(Choice("more", msg("More")))
        return Reply(
            (msg("{office}. Choose a time:", office=Local.of(office.name)),), tuple(choices)
        )
    if not slots:
        return Reply(
            (msg("No free time is left that day."),), (Choice("day", msg("Another day")), MENU)
        )
    page = int(_state(ctx).get("time_page", 0))
    if page * TIME_PAGE >= len(slots):
        page = 0
    choices = [
        Choice(s.start.isoformat(), msg("{time}", time=Clock(local(s.start))))
        for s in slots[page * TIME_PAGE :][:TIME_PAGE]
    ]
    if len(slots) > (page + 1) * TIME_PAGE:
        choices.append(Choice("more", msg("Later times")))
    choices.append(Choice("day", msg("Another day")))
    day = local(slots[0].start).date()
    return Reply((msg("{day}: which time suits you?", day=Day(day)),), tuple(choices))


def answer_time(ctx: Ctx, given: Answer) -> Outcome:
    state = _state(ctx)
    if given.key == "more":
        if ctx.sms:
            slots = _times(ctx)
            if len(slots) > SMS_SLOTS:
                state["earlier"] = [*state.get("earlier", []), state.get("from") or ""]
                state["from"] = slots[SMS_SLOTS].start.isoformat()
        else:
            state["time_page"] = int(state.get("time_page", 0)) + 1
        return Go("visit_time")
    if given.key == "day":  # the day stays chosen: "back" from the days returns to its times
        return Go("visit_day")
    if given.key == "office":
        return _other_office(ctx)
    if given.key == "menu":
        return Go("menu")
    try:
        start = datetime.fromisoformat(given.key or "")
    except ValueError:
        return Retry(msg("Please choose a number from the menu."))
    state["start"] = start.isoformat()
    return Go("visit_confirm")


def back_time(ctx: Ctx) -> str | None:
    state = _state(ctx)
    if ctx.sms:
        earlier = state.get("earlier") or []
        if not earlier:
            return None
        state["earlier"] = earlier[:-1]
        state["from"] = earlier[-1] or None
        return "visit_time"
    return _page_back(ctx, "time_page", "visit_time")


# ------------------------------------------------------------------------------------------
# Confirm, book, and what to bring


def ask_confirm(ctx: Ctx) -> Reply:
    office = _office(ctx)
    start = _state(ctx).get("start")
    if office is None or not start:
        return Reply((msg("Please choose the office again."),), (MENU,))
    when = _when(datetime.fromisoformat(start))
    if _state(ctx).get("move"):
        line = msg("Move your visit to {day} at {time}?", **when)
        yes = Choice("yes", msg("Yes, move it"))
    else:
        line = msg("Book a visit: {day} at {time}, {office}, {address}?", **when, **_place(office))
        yes = Choice("yes", msg("Yes, book it"))
    return Reply((line,), (yes, Choice("other", msg("Another time"))))


def answer_confirm(ctx: Ctx, given: Answer) -> Outcome:
    state = _state(ctx)
    office = _office(ctx)
    if given.key == "other":
        state.pop("start", None)
        return Go("visit_time")
    if given.key != "yes" or office is None or not state.get("start"):
        return Retry(msg("Please choose a number from the menu."))
    start = datetime.fromisoformat(state["start"])
    moving = state.get("move")
    booking = _port(ctx).move(int(moving), start) if moving else _port(ctx).book(office.id, start)
    if booking is None:
        ctx.notes.append(msg("Sorry, that time has just been taken. Here are the next free ones."))
        state.pop("start", None)
        if ctx.sms:
            state["from"] = start.isoformat()
        else:
            state["day"] = local(start).date().isoformat()
            state["time_page"] = 0
        return Go("visit_time")
    ctx.booking = booking
    ctx.session["visit"] = {"done": booking.id, "moved": bool(moving)}
    return Go("visit_done")


def hours(office: Office) -> Text:
    """ "Monday–Friday 09:00–18:00, lunch 13:00–14:00", in the person's language."""
    runs: list[list[int]] = []
    for day in sorted(office.weekdays):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    spans = [
        WEEKDAY_NAMES[run[0]]
        if len(run) == 1
        else msg("{first}–{last}", first=WEEKDAY_NAMES[run[0]], last=WEEKDAY_NAMES[run[-1]])
        for run in runs
    ]
    days = joined(*spans)
    opens, closes = f"{office.opens:%H:%M}", f"{office.closes:%H:%M}"
    if office.lunch is None:
        return msg("{days} {opens}–{closes}", days=days, opens=opens, closes=closes)
    return msg(
        "{days} {opens}–{closes}, lunch {start}–{end}",
        days=days,
        opens=opens,
        closes=closes,
        start=f"{office.lunch[0]:%H:%M}",
        end=f"{office.lunch[1]:%H:%M}",
    )


def confirmation(ctx: Ctx, booking: Booking, *, moved: bool) -> list[Text]:
    when, place = _when(booking.start), _place(booking.office)
    number = str(booking.id)
    if moved:
        lines = [
            msg(
                "Your visit no. {number} is moved to {day} at {time}, {office}, {address}.",
                number=number,
                **when,
                **place,
            )
        ]
    else:
        lines = [
            msg(
                "Your visit is booked, no. {number}: {day} at {time}, {office}, {address}.",
                number=number,
                **when,
                **place,
            )
        ]
    lines.append(
        msg(
            "Phone: {phone}. Open: {hours}.",
            phone=booking.office.phone,
            hours=hours(booking.office),
        )
    )
    # What to bring: Social Code art. 123 and the MTSZN rules: an identity document and the
    # application; only papers not held in state information systems are asked for, the usual
    # one being a certificate of the alimony received in the income quarter.
    own = family_documents(ctx.session)
    if own is not None:  # the family's own list, from the answers of its last result
        lines.extend(document_lines(own, sms=ctx.sms))
    elif ctx.sms:
        lines.append(
            msg("Bring your identity card and, if you get alimony, an alimony certificate.")
        )
    else:
        lines.append(
            msg(
                "Bring your identity card. If you receive alimony, also bring a certificate "
                "of the alimony received in the last quarter; the office gets everything else "
                "from state databases."
            )
        )
    remindable = reminder_at(booking.start, ctx.now) is not None
    target = ctx.handover.target() if ctx.handover is not None else None
    if remindable and ctx.channel == "web" and target is not None:
        lines.append(
            msg(
                "We will remind you the day before ({where}). To move or cancel it, write VISIT.",
                where=_where(target),
            )
        )
    elif remindable and ctx.channel != "web":
        lines.append(msg("We will remind you the day before. To move or cancel it, write VISIT."))
    else:  # a web page without Telegram or SMS cannot be reminded: nothing is promised
        lines.append(msg("To move or cancel it, write VISIT."))
    return lines


def _where(target: str) -> Text:
    return msg("on Telegram") if target == "telegram" else msg("by SMS to {phone}", phone=target)


DONE_CHOICES = (Choice("visit", msg("My visit")), MENU)


REMIND_ME = Choice("remind", msg("Remind me the day before"))


def ask_done(ctx: Ctx) -> Reply:
    state = _state(ctx)
    booking = next((b for b in _upcoming(ctx) if b.id == state.get("done")), None)
    if booking is None:
        return Reply((msg("What would you like to do next?"),), DONE_CHOICES)
    lines = confirmation(ctx, booking, moved=bool(state.get("moved")))
    if not ctx.sms:
        lines.append(msg("What would you like to do next?"))
    choices: tuple[Choice, ...] = DONE_CHOICES
    if handover.needed(ctx) and reminder_at(booking.start, ctx.now) is not None:
        choices = (REMIND_ME, *DONE_CHOICES)
    return paging.paged(ctx, "visit_done", lines, choices)


def answer_done(ctx: Ctx, given: Answer) -> Outcome:
    if paging.more(ctx, "visit_done", given):
        return Go("visit_done")
    if given.key == "visit":
        return start_visit(ctx)
    if given.key == "remind" and handover.needed(ctx):
        ctx.session["visit"] = {}
        return handover.offer(ctx, "visit")
    if given.key == "menu":
        ctx.session["visit"] = {}
        return Go("menu")
    return Retry(msg("Please choose a number from the menu."))


def back_done(ctx: Ctx) -> str | None:
    return paging.back(ctx, "visit_done") or "visit_done"


# ------------------------------------------------------------------------------------------
# Cancel


def _cancelling(ctx: Ctx) -> Booking | None:
    wanted = _state(ctx).get("cancel")
    return next((b for b in _upcoming(ctx) if b.id == wanted), None)


def cancel_applies(ctx: Ctx) -> bool:
    return _cancelling(ctx) is not None


def ask_cancel(ctx: Ctx) -> Reply:
    booking = _cancelling(ctx)
    if booking is None:
        return Reply((msg("You have no visit booked."),), (MENU,))
    return Reply(
        (
            msg(
                "Cancel your visit to {office} on {day} at {time}?",
                **_when(booking.start),
                office=Local.of(booking.office.name),
            ),
        ),
        (Choice("yes", msg("Yes, cancel it")), Choice("no", msg("No, keep it"))),
    )


def answer_cancel(ctx: Ctx, given: Answer) -> Outcome:
    booking = _cancelling(ctx)
    if given.key == "no" or booking is None:
        return start_visit(ctx)
    if given.key != "yes":
        return Retry(msg("Please answer 1 (yes) or 2 (no)."))
    ctx.session["visit"] = {}
    if _port(ctx).cancel(booking.id):
        ctx.notes.append(msg("Your visit is cancelled. To book another time, write VISIT."))
    return Go("menu")


register(
    Step("visit_closed", ask_closed, answer_closed, closed_applies, flow=FLOW, remember=False),
    Step("visit", ask_visit, answer_visit, visit_applies, flow=FLOW, remember=False),
    Step("visit_region", ask_region, answer_region, region_applies, flow=FLOW, back=back_region),
    Step("visit_office", ask_office, answer_office, flow=FLOW, back=back_office),
    Step("visit_day", ask_day, answer_day, day_applies, flow=FLOW, back=back_day),
    Step("visit_time", ask_time, answer_time, time_applies, flow=FLOW, back=back_time),
    Step("visit_confirm", ask_confirm, answer_confirm, flow=FLOW, remember=False),
    Step("visit_done", ask_done, answer_done, flow=FLOW, remember=False, back=back_done),
    Step("visit_cancel", ask_cancel, answer_cancel, cancel_applies, flow=FLOW, remember=False),
)
