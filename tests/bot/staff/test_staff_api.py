"""The staff JSON API: tokens, an office's day list (contacts masked), marking visits attended
or not, cancelling one with a note to the person, regions, bad input, and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, select, update

from bot.config import Config
from bot.conversation.appointments import DbAppointments
from bot.conversation.runner import Runner
from bot.i18n.translator import Translator
from bot.parameters import default_calendar
from bot.server import create_app
from bot.staff.accounts import create, find, issue_token
from bot.storage.offices import import_offices, read_office_records
from bot.storage.tables import APPOINTMENTS, AUDIT, OUTBOX, STAFF, TOKENS
from bot.web.keys import RUNNER
from core.almaty import local
from tests.bot.conftest import book_a_visit

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_OFFICES = ROOT / "examples" / "offices.example.yaml"
NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")  # Thursday
VISIT_DAY = date(2026, 11, 30)  # Monday
PHONE = "+77011234567"
PASSWORD = "correct horse battery"


@dataclass
class Setup:
    client: TestClient[Any, Any]
    runner: Runner
    admin: str
    astana: str
    almaty: str
    visit_id: int
    contact_id: int

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


def _seed(connection: Connection) -> tuple[dict[str, str], int, int]:
    records = read_office_records(EXAMPLE_OFFICES.name, EXAMPLE_OFFICES.read_bytes())
    report = import_offices(connection, records, NOW)
    assert len(report.created) == 4 and not report.rejected
    tokens: dict[str, str] = {}
    for username, role, region in (
        ("root", "admin", None),
        ("aigul", "worker", "astana"),
        ("dana", "worker", "almaty"),
    ):
        create(
            connection,
            username=username,
            name=username.title(),
            role=role,
            region=region,
            password=PASSWORD,
            now=NOW,
        )
        member = find(connection, username)
        assert member is not None
        tokens[username] = issue_token(connection, member, "tests", NOW)
    booking_id, contact_id = book_a_visit(
        connection, channel="sms", address=PHONE, language="ru", now=NOW, day=VISIT_DAY
    )
    return tokens, booking_id, contact_id


@pytest.fixture
async def setup(aiohttp_client: Any, tmp_path: Path, translator: Translator) -> Setup:
    # The dispatcher looks for due messages only once a minute: these tests read the outbox.
    config = Config(database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", outbox_poll=60)
    client: TestClient[Any, Any] = await aiohttp_client(create_app(config, translator))
    app: Any = client.app
    runner: Runner = app[RUNNER]
    runner.clock = lambda: NOW
    tokens, visit_id, contact_id = await runner.db.run(_seed)
    return Setup(
        client, runner, tokens["root"], tokens["aigul"], tokens["dana"], visit_id, contact_id
    )


async def _rows(runner: Runner, table: Any, *where: Any) -> list[Any]:
    def work(connection: Connection) -> list[Any]:
        return list(connection.execute(select(table).where(*where)).all())

    return await runner.db.run(work)


async def _visit(setup: Setup) -> Any:
    (row,) = await _rows(setup.runner, APPOINTMENTS, APPOINTMENTS.c.id == setup.visit_id)
    return row


async def _audit(setup: Setup) -> list[tuple[str, str, str]]:
    """(username, action, target) of every audit entry, oldest first."""

    def work(connection: Connection) -> list[tuple[str, str, str]]:
        a, s = AUDIT.c, STAFF.c
        rows = connection.execute(
            select(s.username, a.action, a.target).join(STAFF, s.id == a.staff_id).order_by(a.id)
        )
        return [(r.username, r.action, r.target) for r in rows]

    return await setup.runner.db.run(work)


DAY_LIST = f"/api/staff/appointments?office=example-astana-1&date={VISIT_DAY}"


# -- tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "kmk_abcdef",
        "Bearer kmk_not-a-token-anyone-was-given",
        "Bearer not-even-the-prefix",
        "Bearer kmk_" + "x" * 300,
    ],
)
async def test_a_call_without_a_valid_token_is_refused(setup: Setup, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    for method, path in (
        ("GET", DAY_LIST),
        ("POST", f"/api/staff/appointments/{setup.visit_id}/attended"),
        ("POST", f"/api/staff/appointments/{setup.visit_id}/cancel"),
    ):
        response = await setup.client.request(method, path, headers=headers)
        assert response.status == 401
        assert "error" in await response.json()
    assert (await _visit(setup)).status == "booked"
    assert await _audit(setup) == []


async def test_a_revoked_token_is_refused(setup: Setup) -> None:
    assert (await setup.client.get(DAY_LIST, headers=setup.auth(setup.astana))).status == 200

    def revoke(connection: Connection) -> None:
        connection.execute(update(TOKENS).values(revoked_at=NOW))  # every token, the admin's too

    await setup.runner.db.run(revoke)
    for token in (setup.astana, setup.admin):
        response = await setup.client.get(DAY_LIST, headers=setup.auth(token))
        assert response.status == 401
        assert "error" in await response.json()


async def test_an_inactive_member_s_token_is_refused(setup: Setup) -> None:
    def deactivate(connection: Connection) -> None:
        connection.execute(update(STAFF).where(STAFF.c.username == "aigul").values(active=False))

    await setup.runner.db.run(deactivate)
    response = await setup.client.get(DAY_LIST, headers=setup.auth(setup.astana))
    assert response.status == 401


async def test_the_scheme_is_case_insensitive(setup: Setup) -> None:
    headers = {"Authorization": f"bearer {setup.astana}"}
    assert (await setup.client.get(DAY_LIST, headers=headers)).status == 200


# -- the day list ------------------------------------------------------------------------------


async def test_the_day_list_shows_the_visit_with_the_contact_masked(setup: Setup) -> None:
    response = await setup.client.get(DAY_LIST, headers=setup.auth(setup.astana))
    assert response.status == 200
    body = await response.text()
    data = await response.json()
    assert data == {
        "office": "example-astana-1",
        "date": "2026-11-30",
        "visits": [
            {
                "id": setup.visit_id,
                "time": "09:00",
                "seat": 1,
                "status": "booked",
                "channel": "sms",
                "contact": "…4567",
            }
        ],
    }
    for part in (PHONE, PHONE[1:], PHONE[:-4], "7011234"):
        assert part not in body
    assert await _audit(setup) == [("aigul", "appointments.view", "example-astana-1 2026-11-30")]


async def test_another_day_and_another_office_have_no_visits(setup: Setup) -> None:
    for query in (
        "office=example-astana-1&date=2026-11-29",
        "office=example-astana-1&date=2026-12-01",
        "office=example-almaty-1&date=2026-11-30",
    ):
        response = await setup.client.get(
            f"/api/staff/appointments?{query}", headers=setup.auth(setup.admin)
        )
        assert response.status == 200
        assert (await response.json())["visits"] == []


async def test_the_time_is_kazakhstan_s_wall_clock(setup: Setup) -> None:
    visit = await _visit(setup)
    assert f"{local(visit.starts_at):%Y-%m-%d %H:%M %z}" == "2026-11-30 09:00 +0500"
    assert f"{visit.starts_at:%H:%M}" == "04:00"  # stored in UTC; the list shows local time


@pytest.mark.parametrize(
    "date_text", ["", "30.11.2026", "2026-13-01", "2026-02-30", "tomorrow", "2026-11-30T09:00"]
)
async def test_a_bad_date_is_a_400(setup: Setup, date_text: str) -> None:
    response = await setup.client.get(
        "/api/staff/appointments",
        params={"office": "example-astana-1", "date": date_text},
        headers=setup.auth(setup.admin),
    )
    assert response.status == 400
    assert "YYYY-MM-DD" in (await response.json())["error"]


async def test_a_missing_date_is_a_400(setup: Setup) -> None:
    response = await setup.client.get(
        "/api/staff/appointments?office=example-astana-1", headers=setup.auth(setup.admin)
    )
    assert response.status == 400


@pytest.mark.parametrize("office", ["nowhere", "", "EXAMPLE-ASTANA-1"])
async def test_an_unknown_office_is_a_404(setup: Setup, office: str) -> None:
    response = await setup.client.get(
        "/api/staff/appointments",
        params={"office": office, "date": "2026-11-30"},
        headers=setup.auth(setup.admin),
    )
    assert response.status == 404
    assert "error" in await response.json()
    assert await _audit(setup) == []


async def test_a_worker_sees_only_the_offices_of_their_region(setup: Setup) -> None:
    response = await setup.client.get(DAY_LIST, headers=setup.auth(setup.almaty))
    assert response.status == 403
    assert "error" in await response.json()
    assert await _audit(setup) == []
    almaty = await setup.client.get(
        "/api/staff/appointments?office=example-almaty-2&date=2026-11-30",
        headers=setup.auth(setup.almaty),
    )
    assert almaty.status == 200
    astana = await setup.client.get(
        "/api/staff/appointments?office=example-almaty-2&date=2026-11-30",
        headers=setup.auth(setup.astana),
    )
    assert astana.status == 403


async def test_an_admin_sees_every_office(setup: Setup) -> None:
    for office in ("example-astana-1", "example-almaty-1", "example-turkistan-akim"):
        response = await setup.client.get(
            f"/api/staff/appointments?office={office}&date=2026-11-30",
            headers=setup.auth(setup.admin),
        )
        assert response.status == 200
    data = await (await setup.client.get(DAY_LIST, headers=setup.auth(setup.admin))).json()
    assert [v["id"] for v in data["visits"]] == [setup.visit_id]
    assert [action for who, action, _ in await _audit(setup) if who == "root"] == [
        "appointments.view"
    ] * 4


# -- marking visits ----------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "status"), [("attended", "attended"), ("no-show", "no_show")])
async def test_marking_a_visit_changes_its_status(setup: Setup, path: str, status: str) -> None:
    response = await setup.client.post(
        f"/api/staff/appointments/{setup.visit_id}/{path}", headers=setup.auth(setup.astana)
    )
    assert response.status == 200
    assert await response.json() == {"ok": True}
    visit = await _visit(setup)
    assert visit.status == status and visit.cancelled_by is None
    assert await _audit(setup) == [("aigul", f"appointments.{status}", str(setup.visit_id))]
    listed = await (await setup.client.get(DAY_LIST, headers=setup.auth(setup.astana))).json()
    assert listed["visits"][0]["status"] == status


async def test_a_mark_can_be_corrected(setup: Setup) -> None:
    for path in ("no-show", "attended"):
        response = await setup.client.post(
            f"/api/staff/appointments/{setup.visit_id}/{path}", headers=setup.auth(setup.admin)
        )
        assert response.status == 200
    assert (await _visit(setup)).status == "attended"


@pytest.mark.parametrize("raw", ["abc", "-1", "1.5", "١", "9" * 19, "0x1"])
async def test_a_visit_id_that_is_not_a_number_is_a_400(setup: Setup, raw: str) -> None:
    for path in ("attended", "no-show", "cancel"):
        response = await setup.client.post(
            f"/api/staff/appointments/{raw}/{path}", headers=setup.auth(setup.admin)
        )
        assert response.status == 400
        assert "error" in await response.json()


async def test_an_unknown_visit_is_a_404(setup: Setup) -> None:
    for path in ("attended", "no-show", "cancel"):
        response = await setup.client.post(
            f"/api/staff/appointments/{setup.visit_id + 1000}/{path}",
            headers=setup.auth(setup.admin),
        )
        assert response.status == 404
        assert "error" in await response.json()
    assert await _audit(setup) == []


async def test_a_worker_of_another_region_cannot_touch_the_visit(setup: Setup) -> None:
    for path in ("attended", "no-show", "cancel"):
        response = await setup.client.post(
            f"/api/staff/appointments/{setup.visit_id}/{path}",
            headers=setup.auth(setup.almaty),
            json={"message": "no"},
        )
        assert response.status == 403
    assert (await _visit(setup)).status == "booked"
    assert await _audit(setup) == []


async def test_an_unknown_action_is_not_routed(setup: Setup) -> None:
    response = await setup.client.post(
        f"/api/staff/appointments/{setup.visit_id}/delete", headers=setup.auth(setup.admin)
    )
    assert response.status in (404, 405)
    get = await setup.client.get(
        f"/api/staff/appointments/{setup.visit_id}/attended", headers=setup.auth(setup.admin)
    )
    assert get.status == 405
    assert (await _visit(setup)).status == "booked"


# -- cancelling --------------------------------------------------------------------------------


async def test_cancelling_tells_the_person_and_drops_the_reminder(setup: Setup) -> None:
    o = OUTBOX.c
    (reminder,) = await _rows(setup.runner, OUTBOX, o.kind == "visit_reminder")
    assert reminder.status == "pending" and reminder.contact_id == setup.contact_id
    note = "Центр закрыт на санитарный день. Извините!"
    response = await setup.client.post(
        f"/api/staff/appointments/{setup.visit_id}/cancel",
        headers=setup.auth(setup.astana),
        json={"message": note},
    )
    assert response.status == 200
    assert await response.json() == {"ok": True}
    visit = await _visit(setup)
    assert visit.status == "cancelled" and visit.cancelled_by == "staff"
    (notice,) = await _rows(setup.runner, OUTBOX, o.kind == "visit_cancelled")
    assert notice.contact_id == setup.contact_id
    assert notice.status == "pending"
    assert notice.payload == {"appointment": setup.visit_id, "note": note}
    assert notice.due_at == NOW
    (reminder,) = await _rows(setup.runner, OUTBOX, o.kind == "visit_reminder")
    assert reminder.status == "cancelled"
    assert await _audit(setup) == [("aigul", "appointments.cancel", str(setup.visit_id))]

    again = await setup.client.post(
        f"/api/staff/appointments/{setup.visit_id}/cancel",
        headers=setup.auth(setup.astana),
        json={"message": "again"},
    )
    assert again.status == 409
    assert "error" in await again.json()
    for path in ("attended", "no-show"):
        marked = await setup.client.post(
            f"/api/staff/appointments/{setup.visit_id}/{path}", headers=setup.auth(setup.astana)
        )
        assert marked.status == 409
    assert (await _visit(setup)).status == "cancelled"
    assert len(await _rows(setup.runner, OUTBOX, o.kind == "visit_cancelled")) == 1
    assert len(await _audit(setup)) == 1


async def test_a_visit_marked_already_cannot_be_cancelled(setup: Setup) -> None:
    path = f"/api/staff/appointments/{setup.visit_id}"
    assert (await setup.client.post(f"{path}/attended", headers=setup.auth(setup.admin))).ok
    response = await setup.client.post(f"{path}/cancel", headers=setup.auth(setup.admin))
    assert response.status == 409
    assert (await _visit(setup)).status == "attended"
    assert not await _rows(setup.runner, OUTBOX, OUTBOX.c.kind == "visit_cancelled")


async def test_cancelling_without_a_body_or_a_message(setup: Setup) -> None:
    response = await setup.client.post(
        f"/api/staff/appointments/{setup.visit_id}/cancel", headers=setup.auth(setup.admin)
    )
    assert response.status == 200
    (notice,) = await _rows(setup.runner, OUTBOX, OUTBOX.c.kind == "visit_cancelled")
    assert notice.payload == {"appointment": setup.visit_id, "note": ""}
    assert await _audit(setup) == [("root", "appointments.cancel", str(setup.visit_id))]


async def test_a_message_of_exactly_500_characters_is_kept_whole(setup: Setup) -> None:
    note = "я" * 500
    response = await setup.client.post(
        f"/api/staff/appointments/{setup.visit_id}/cancel",
        headers=setup.auth(setup.admin),
        json={"message": note},
    )
    assert response.status == 200
    (notice,) = await _rows(setup.runner, OUTBOX, OUTBOX.c.kind == "visit_cancelled")
    assert notice.payload["note"] == note


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"text"',
        b'{"message": 5}',
        b'{"message": ["a"]}',
        b'{"message": "' + b"x" * 501 + b'"}',
    ],
)
async def test_a_bad_cancel_body_is_a_400(setup: Setup, body: bytes) -> None:
    response = await setup.client.post(
        f"/api/staff/appointments/{setup.visit_id}/cancel",
        headers=setup.auth(setup.admin),
        data=body,
    )
    assert response.status == 400
    assert "error" in await response.json()
    visit = await _visit(setup)
    assert visit.status == "booked"
    assert not await _rows(setup.runner, OUTBOX, OUTBOX.c.kind == "visit_cancelled")
    assert await _audit(setup) == []


async def test_every_successful_call_is_audited_with_who_and_what(setup: Setup) -> None:
    def second_visit(connection: Connection) -> int:
        appointments = DbAppointments(connection, setup.contact_id, NOW, default_calendar())
        (slot,) = appointments.slots("example-almaty-1", VISIT_DAY, 1)
        booking = appointments.book("example-almaty-1", slot.start)
        assert booking is not None
        return booking.id

    other = await setup.runner.db.run(second_visit)
    third = await setup.runner.db.run(second_visit)
    calls = [
        (setup.astana, "GET", DAY_LIST),
        (setup.astana, "POST", f"/api/staff/appointments/{setup.visit_id}/no-show"),
        (setup.almaty, "POST", f"/api/staff/appointments/{other}/attended"),
        (setup.admin, "POST", f"/api/staff/appointments/{third}/cancel"),
    ]
    for token, method, path in calls:
        response = await setup.client.request(method, path, headers=setup.auth(token))
        assert response.status == 200, await response.text()
    assert await _audit(setup) == [
        ("aigul", "appointments.view", "example-astana-1 2026-11-30"),
        ("aigul", "appointments.no_show", str(setup.visit_id)),
        ("dana", "appointments.attended", str(other)),
        ("root", "appointments.cancel", str(third)),
    ]
    (at,) = {row.at for row in await _rows(setup.runner, AUDIT)}
    assert at == NOW
