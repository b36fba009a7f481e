"""Explanations on request: the two kinds of assistance, the social contract, the 1.5 MRP child
payment, the large-family allowance, the guaranteed social package, how and where to apply,
documents, quarterly reassessment and appeals (tsa-rules.md §3-4). Amounts come from the
parameters in force today, never from the text.

On SMS a topic is read a part at a time within the SMS budget ("More"), with a short menu after
it; elsewhere it comes whole, with the list of topics again."""

from __future__ import annotations

from collections.abc import Callable

from core import amounts
from core.money import to_cents
from dialogs import paging
from dialogs.engine import Answer, Choice, Ctx, Go, Outcome, Reply, Retry, Step, register
from dialogs.text import Money, Text, msg

PAGE = 5
AFTER_TOPIC = (Choice("topics", msg("Other topics")), Choice("menu", msg("Menu")))


def _kinds(ctx: Ctx) -> list[Text]:
    del ctx
    return [
        msg(
            "Unconditional cash assistance is for people living alone who have reached pension "
            "age, have a group I or II disability or a long illness."
        ),
        msg(
            "It is also for families with no able-bodied member, and for those whose only "
            "able-bodied member cares for a small child, a disabled or an elderly person."
        ),
        msg(
            "Conditional cash assistance is for families with able-bodied members: it is paid "
            "under a social contract, and they take part in employment measures."
        ),
    ]


def _contract(ctx: Ctx) -> list[Text]:
    del ctx
    return [
        msg(
            "The social contract is signed at the career centre for the period of assistance. "
            "Its plan may include a job, training or a grant for your own business."
        ),
        msg(
            "Exempt from employment measures: people with a group I or II disability or a long "
            "illness, full-time students and people with a permanent job."
        ),
        msg(
            "One carer of a child under 3, of a person with a disability or of an elderly person "
            "over 80 is exempt too."
        ),
        msg(
            "If an able-bodied member refuses employment measures, the family is refused TSA "
            "for 6 months. If the contract is broken, payments stop and TSA cannot be assigned "
            "again for 6 months."
        ),
    ]


def _child_payment(ctx: Ctx) -> list[Text]:
    rules = ctx.store.in_force(ctx.now.date())
    amount = to_cents(amounts.child_payment(1, rules)) if rules.child_payment.in_force else None
    lines = [
        msg(
            "A family receiving TSA gets an extra 1.5 MRP (monthly calculation index) a month for "
            "each child from 1 to 6 years old inclusive."
        )
    ]
    if amount:
        lines.append(
            msg(
                "In {year} that is {amount} per child.",
                year=str(ctx.now.year),
                amount=Money(amount),
            )
        )
    return lines


def _large_family(ctx: Ctx) -> list[Text]:
    rules = ctx.store.in_force(ctx.now.date())
    lines = [
        msg(
            "A family raising four or more children under 18 (students up to 23) gets the "
            "large-family allowance whatever its income."
        )
    ]
    if rules.large_family.in_force:
        lines.append(
            msg(
                "In {year}: {four} a month for 4 children, {five} for 5, {six} for 6, {seven} "
                "for 7, and {each} per child for 8 or more.",
                year=str(ctx.now.year),
                four=Money(amounts.large_family_allowance(4, rules)),
                five=Money(amounts.large_family_allowance(5, rules)),
                six=Money(amounts.large_family_allowance(6, rules)),
                seven=Money(amounts.large_family_allowance(7, rules)),
                each=Money(amounts.large_family_allowance(8, rules) / 8),
            )
        )
    return lines


def _package(ctx: Ctx) -> list[Text]:
    # tsa-rules.md §3.12 and §7.8: the school part after 2023 is not in the Social Code's TSA
    # chapter; school meals for low-income families are said to follow education law
    # [UNVERIFIED], so the person is sent to the school and the akimat.
    del ctx
    return [
        msg(
            "From 2020 to 2022 children of TSA families got a guaranteed social package in kind: "
            "food and household sets for ages 1 to 6, and meals, uniforms and travel for pupils."
        ),
        msg(
            "Since 2023 the sets for children aged 1 to 6 are paid in cash instead: the 1.5 MRP "
            "child payment."
        ),
        msg(
            "School pupils no longer get the package with TSA: free meals at school for children "
            "of low-income families now come under the law on education."
        ),
        msg(
            "Komek could not confirm the details: ask at the school or at the akimat's education "
            "department."
        ),
    ]


def _apply(ctx: Ctx) -> list[Text]:
    del ctx
    return [
        msg(
            "Apply on eGov (egov.kz, service «Targeted social assistance») with an electronic "
            "digital signature or a one-time SMS code."
        ),
        msg("You need the IBAN (account number) of your account at Kazpost or Halyk Bank."),
        msg("Or apply at the career centre where you live; in a village, at the akim's office."),
        msg(
            "Assistance is paid monthly from the month you apply, whatever the day, to the end "
            "of the quarter."
        ),
    ]


def _documents(ctx: Ctx) -> list[Text]:
    del ctx
    return [
        msg(
            "You need your identity card and the application. The career centre gets most facts "
            "from state databases itself; bring what is not there, for example an alimony "
            "certificate for the income months."
        )
    ]


def _quarterly(ctx: Ctx) -> list[Text]:
    del ctx
    return [
        msg(
            "TSA is assigned for the current quarter. Confirm your right every quarter unless "
            "your income is already in the Digital Family Map."
        ),
        msg("Report changes in the family or its income within 10 working days."),
    ]


def _appeal(ctx: Ctx) -> list[Text]:
    del ctx
    return [
        msg(
            "You can appeal a decision of the akim or the social protection department to the "
            "higher authority or to court. The ombudsman for socially vulnerable people can "
            "also help."
        )
    ]


TOPICS: tuple[tuple[str, Text, Callable[[Ctx], list[Text]]], ...] = (
    ("kinds", msg("Unconditional and conditional"), _kinds),
    ("contract", msg("Social contract"), _contract),
    ("child", msg("1.5 MRP for children"), _child_payment),
    ("large", msg("Large families"), _large_family),
    ("apply", msg("Where to apply"), _apply),
    ("documents", msg("Documents"), _documents),
    ("quarterly", msg("Every quarter"), _quarterly),
    ("appeal", msg("Appeals"), _appeal),
    ("package", msg("Social package"), _package),
)


def ask(ctx: Ctx) -> Reply:
    page = int(ctx.session.get("topics_page", 0))
    shown = TOPICS[page * PAGE : (page + 1) * PAGE]
    choices = [Choice(key, label) for key, label, _ in shown]
    if (page + 1) * PAGE < len(TOPICS):
        choices.append(Choice("more", msg("More")))
    choices.append(Choice("menu", msg("Menu")))
    return Reply((msg("What would you like to know?"),), tuple(choices))


def answer(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "more":
        ctx.session["topics_page"] = int(ctx.session.get("topics_page", 0)) + 1
        return Go("explain_menu")
    ctx.session.pop("topics_page", None)
    if given.key == "menu":
        return Go("menu" if ctx.session.get("consent") else "consent")
    for key, _, lines in TOPICS:
        if key == given.key:
            if ctx.sms:
                ctx.session["topic"] = key
                return Go("topic")
            ctx.notes.extend(lines(ctx))
            return Go("explain_menu")
    return Retry(msg("Please choose a number from the menu."))


def back_menu(ctx: Ctx) -> str | None:
    page = int(ctx.session.get("topics_page", 0))
    if page > 0:
        ctx.session["topics_page"] = page - 1
        return "explain_menu"
    return None


def ask_topic(ctx: Ctx) -> Reply:
    wanted = ctx.session.get("topic")
    lines = next((make for key, _, make in TOPICS if key == wanted), _kinds)(ctx)
    return paging.paged(ctx, "topic", lines, AFTER_TOPIC)


def answer_topic(ctx: Ctx, given: Answer) -> Outcome:
    if paging.more(ctx, "topic", given):
        return Go("topic")
    if given.key not in ("topics", "menu"):
        return Retry(msg("Please choose a number from the menu."))
    ctx.session.pop("topic", None)
    if given.key == "topics":
        return Go("explain_menu")
    return Go("menu" if ctx.session.get("consent") else "consent")


def back_topic(ctx: Ctx) -> str | None:
    """The part before; from the first part, the list of topics."""
    return paging.back(ctx, "topic") or "explain_menu"


register(
    Step("explain_menu", ask, answer, flow="explanations", remember=False, back=back_menu),
    Step("topic", ask_topic, answer_topic, flow="explanations", remember=False, back=back_topic),
)
