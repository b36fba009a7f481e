"""Fallback: an outbox message goes to the person's preferred channel (the one they last wrote
from) and, when that fails for good, to the next one, each attempt written on the row; an error
that may pass is retried on the same channel with its back-off; a failure learnt later (an SMS
delivery report) sends the row on; STOP on any channel stops it; staff retry failed ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select, update

from bot.contacts.linking import link
from bot.conversation.runner import Runner
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.fallback import undeliverable
from bot.delivery.outbox import Claimed, Rendered, enqueue
from bot.delivery.senders import Notice, Outgoing
from bot.staff.accounts import Member
from bot.staff.campaigns import retry_failed, status
from bot.staff.timeline import TimelineError, timeline
from bot.storage import messages
from bot.storage.tables import CAMPAIGNS, CASES, CONTACTS, MESSAGES, OUTBOX, STAFF
from tests.bot.conversation import test_runner

runner = test_runner.runner
NOW = test_runner.NOW


def note(connection: Connection, row: Claimed, language: str, now: datetime) -> Rendered:
    del connection, row, now
    return Rendered(f"Komek [{language}]", Notice("quarter_new", language))


def sender(runner: Runner, outcome: str, got: list[str], channel: str) -> Any:
    async def send(address: str, replies: list[Outgoing]) -> None:
        got.append(channel)
        error = None if outcome in messages.WENT_OUT else f"{channel} said no"
        await runner.mark_many([r.message_id for r in replies], outcome, error)

    return send


def family(wrote_last: str = "telegram") -> Callable[[Connection], dict[str, int]]:
    """A family with a Telegram chat and an SMS phone, linked; it last wrote on `wrote_last`."""

    def work(connection: Connection) -> dict[str, int]:
        ids = {}
        for channel, address, language in (
            ("telegram", "900", "kk"),
            ("sms", "+77011234567", "ru"),
        ):
            ids[channel] = int(
                connection.execute(
                    insert(CONTACTS)
                    .values(
                        channel=channel,
                        address=address,
                        language=language,
                        consent=True,
                        opted_out=False,
                        created_at=NOW,
                    )
                    .returning(CONTACTS.c.id)
                ).scalar_one()
            )
        link(connection, ids["telegram"], ids["sms"], NOW)
        connection.execute(
            insert(MESSAGES).values(
                contact_id=ids[wrote_last],
                channel=wrote_last,
                direction="in",
                status="processed",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        enqueue(
            connection,
            key="campaign:1:x",
            contact_id=ids["sms"],
            kind="note",
            payload={},
            due_at=NOW,
            now=NOW,
        )
        return ids

    return work


async def row(runner: Runner) -> Any:
    return await runner.db.run(lambda c: c.execute(select(OUTBOX)).one())


async def test_blocked_on_the_preferred_channel_it_goes_by_the_next(runner: Runner) -> None:
    got: list[str] = []
    runner.senders = {
        "telegram": sender(runner, messages.UNDELIVERABLE, got, "telegram"),
        "sms": sender(runner, messages.SENT, got, "sms"),
    }
    await runner.db.run(family("telegram"))
    dispatcher = Dispatcher(runner, {"note": note})
    assert await dispatcher.dispatch_once() == 1
    assert await dispatcher.dispatch_once() == 1
    assert await dispatcher.dispatch_once() == 0
    assert got == ["telegram", "sms"]
    done = await row(runner)
    assert (done.status, done.hop, done.attempts) == ("sent", 1, 0)
    assert [(t["channel"], t["outcome"], t["error"]) for t in done.tried] == [
        ("telegram", "undeliverable", "telegram said no"),
        ("sms", "sent", None),
    ]


async def test_the_channel_the_family_last_wrote_from_goes_first(runner: Runner) -> None:
    got: list[str] = []
    runner.senders = {
        "telegram": sender(runner, messages.SENT, got, "telegram"),
        "sms": sender(runner, messages.SENT, got, "sms"),
    }
    await runner.db.run(family("sms"))
    assert await Dispatcher(runner, {"note": note}).dispatch_once() == 1
    assert got == ["sms"]
    done = await row(runner)
    assert len(done.route) == 2 and done.tried[0]["channel"] == "sms"


async def test_an_error_that_may_pass_is_retried_on_the_same_channel(runner: Runner) -> None:
    got: list[str] = []
    runner.senders = {
        "telegram": sender(runner, messages.FAILED, got, "telegram"),
        "sms": sender(runner, messages.SENT, got, "sms"),
    }
    await runner.db.run(family("telegram"))
    assert await Dispatcher(runner, {"note": note}).dispatch_once() == 1
    waiting = await row(runner)
    assert (waiting.status, waiting.hop, waiting.attempts) == ("pending", 0, 1)
    assert waiting.due_at > NOW + timedelta(seconds=29)  # its back-off
    assert got == ["telegram"]


async def test_a_failure_reported_later_sends_the_row_on(runner: Runner) -> None:
    got: list[str] = []
    runner.senders = {
        "telegram": sender(runner, messages.SENT, got, "telegram"),
        "sms": sender(runner, messages.SENT, got, "sms"),
    }
    await runner.db.run(family("sms"))
    dispatcher = Dispatcher(runner, {"note": note})
    assert await dispatcher.dispatch_once() == 1
    first = await row(runner)
    assert first.status == "sent"
    # The SMSC reports that the SMS was not delivered: the row goes on to Telegram.
    assert await runner.db.run(undeliverable(first.message_id, "not delivered", NOW))
    assert not await runner.db.run(undeliverable(first.message_id, "again", NOW))
    assert (await row(runner)).status == "pending"
    assert await dispatcher.dispatch_once() == 1
    assert got == ["sms", "telegram"]
    second = await row(runner)
    assert (second.status, second.hop) == ("sent", 1)
    assert [t["outcome"] for t in second.tried] == ["undeliverable", "sent"]
    # Telegram's failure reported too: no channel is left, and the row says so.
    assert not await runner.db.run(undeliverable(second.message_id, "blocked", NOW))
    last = await row(runner)
    assert (last.status, last.error) == ("failed", "blocked")


async def test_stop_on_any_channel_stops_it_and_staff_can_retry_failed_ones(
    runner: Runner,
) -> None:
    got: list[str] = []
    runner.senders = {
        "telegram": sender(runner, messages.UNDELIVERABLE, got, "telegram"),
        "sms": sender(runner, messages.UNDELIVERABLE, got, "sms"),
    }
    ids = await runner.db.run(family("telegram"))
    dispatcher = Dispatcher(runner, {"note": note})
    while await dispatcher.dispatch_once():
        pass
    failed = await row(runner)
    assert failed.status == "failed" and len(failed.tried) == 2

    def campaign(connection: Connection) -> Member:
        staff = connection.execute(
            insert(STAFF)
            .values(
                username="aigerim", name="А", role="worker", region="astana",
                password_hash="x", active=True, created_at=NOW,
            )
            .returning(STAFF.c.id)
        ).scalar_one()  # fmt: skip
        connection.execute(
            insert(CAMPAIGNS).values(
                id=1, staff_id=staff, name="c", template="quarterly", texts={}, audience={},
                status="sending", created_at=NOW,
            )
        )  # fmt: skip
        return Member(int(staff), "aigerim", "А", "worker", "astana")

    member = await runner.db.run(campaign)
    assert await runner.db.run(lambda c: retry_failed(c, member, 1, NOW)) == 1
    again = await row(runner)
    assert (again.status, again.hop, again.route) == ("pending", 0, None)
    assert len(again.tried) == 2  # what was tried stays
    # Meanwhile the family said STOP on SMS: nothing goes, on any channel.
    await runner.db.run(
        lambda c: c.execute(
            update(CONTACTS).where(CONTACTS.c.id == ids["sms"]).values(opted_out=True)
        )
    )
    assert await dispatcher.dispatch_once() == 1
    assert got == ["telegram", "sms"]
    assert (await row(runner)).status == "skipped"
    shown = await runner.db.run(lambda c: status(c, member, 1, recipients=True))
    assert shown["outbox"] == {"skipped": 1} and shown["by_fallback"] == 0
    assert [a["channel"] for a in shown["recipients"][0]["attempts"]] == ["telegram", "sms"]

    def case(connection: Connection) -> int:
        return int(
            connection.execute(
                insert(CASES)
                .values(
                    staff_id=member.id, name="Айгүл", phone="+77011234567", region="astana",
                    language="kk", sms_contact_id=ids["sms"], link_code="c1", created_at=NOW,
                    updated_at=NOW,
                )
                .returning(CASES.c.id)
            ).scalar_one()
        )  # fmt: skip

    case_id = await runner.db.run(case)
    shown = await runner.db.run(lambda c: timeline(c, member, case_id))
    assert shown["channels"] == ["sms", "telegram"]  # the chat is linked to the case's phone
    (outbox,) = [e for e in shown["events"] if e["kind"] == "note"]
    assert [a["outcome"] for a in outbox["attempts"]] == ["undeliverable", "undeliverable"]
    assert {e["channel"] for e in shown["events"] if e["kind"] == "message"} == {"telegram", "sms"}
    other = Member(member.id + 1, "someone", "B", "worker", "astana")
    with pytest.raises(TimelineError):
        await runner.db.run(lambda c: timeline(c, other, case_id))
