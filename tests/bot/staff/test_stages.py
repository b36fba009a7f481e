"""The case, step by step, on the staff side: a worker changes a stage on the family page, through
the API or with a spreadsheet exported from the official system; each change is audited and
queued once as a notice to the family; the documents checklist feeds "documents requested";
case numbers are unique; and every one of these rights is refused to whom should not have it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Connection, insert, select, update

from bot.config import ConfigError, load
from bot.conversation.appointments import DbAppointments
from bot.i18n.translator import Translator
from bot.parameters import default_calendar, default_stages, stages_text, use_stages
from bot.staff.accounts import Member, find, issue_token, revoke_token
from bot.staff.caseload import import_caseload, read_caseload
from bot.storage.tables import CASE_STAGES, CASES, CONTACTS, OUTBOX, TOKENS
from core.almaty import local
from tests.bot.staff.workspace import NOW, Workspace, workspace


@pytest.fixture
async def ws(tmp_path: Path, translator: Translator) -> AsyncIterator[Workspace]:
    async with workspace(tmp_path, translator) as found:
        await found.run(_numbers(found))
        yield found


def _numbers(ws: Workspace) -> Any:
    """Case numbers as the official system gives them: А-1, А-2, А-3 (aigerim's), Б-1, Д-1."""

    def work(connection: Connection) -> None:
        for prefix, username in (("А", "aigerim"), ("Б", "bota"), ("Д", "dana")):
            for n, case_id in enumerate(ws.cases[username], 1):
                connection.execute(
                    update(CASES).where(CASES.c.id == case_id).values(case_number=f"{prefix}-{n}")
                )

    return work


async def _notices(ws: Workspace) -> list[tuple[str, int, str]]:
    def work(connection: Connection) -> list[tuple[str, int, str]]:
        o = OUTBOX.c
        rows = connection.execute(
            select(o.key, o.contact_id, o.kind).where(o.kind == "stage_notice").order_by(o.id)
        )
        return [(r.key, int(r.contact_id), r.kind) for r in rows]

    result: list[tuple[str, int, str]] = await ws.run(work)
    return result


async def _changes(ws: Workspace, case_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    def work(connection: Connection) -> list[tuple[str, str, dict[str, Any]]]:
        s = CASE_STAGES.c
        rows = connection.execute(
            select(s.stage, s.source, s.fields).where(s.case_id == case_id).order_by(s.id)
        )
        return [(r.stage, r.source, dict(r.fields)) for r in rows]

    result: list[tuple[str, str, dict[str, Any]]] = await ws.run(work)
    return result


# ------------------------------------------------------------------------------------------
# The family page


async def test_a_worker_changes_the_stage_and_the_family_is_told_once(ws: Workspace) -> None:
    own = ws.cases["aigerim"][0]
    agent = await ws.signed_in("aigerim")
    await agent.get(f"/staff/families/{own}")
    form = {
        "stage": "assigned",
        "date": "2026-11-25",
        "amount": "81 180",
        "months": "2",
        "category": "unconditional",
        "note": "по решению комиссии",
    }
    page = await agent.post(f"/staff/families/{own}/stage", form)
    assert page.status == 200 and "done=stage" in page.url
    assert page.has("The stage is changed; the family is told in its language.")
    assert page.has("4. TSA assigned")
    assert page.has("81,180") and page.has("for 2 months")
    assert await _changes(ws, own) == [
        ("assigned", "page", {"amount": "81180", "months": 2, "category": "unconditional"})
    ]
    notices = await _notices(ws)
    assert len(notices) == 1 and notices[0][0].startswith("stage:")
    # The same change sent again (a double click) is recorded and told once.
    await agent.post(f"/staff/families/{own}/stage", form, form=f"/staff/families/{own}")
    assert len(await _changes(ws, own)) == 1 and len(await _notices(ws)) == 1
    assert ("aigerim", "case.stage", f"case {own}") in await ws.audit()


async def test_a_stage_without_its_fields_is_refused_in_the_workers_language(
    ws: Workspace,
) -> None:
    own = ws.cases["aigerim"][0]
    agent = await ws.signed_in("aigerim")
    await agent.post("/staff/language", {"language": "ru", "next": "/staff/"}, form="/staff/")
    await agent.get(f"/staff/families/{own}")
    page = await agent.post(
        f"/staff/families/{own}/stage", {"stage": "assigned", "months": "3", "category": "x"}
    )
    assert page.status == 200
    assert page.has("Для этого этапа обязательно поле сумма.")
    page = await agent.post(
        f"/staff/families/{own}/stage",
        {"stage": "refused", "date": "2026-12-01"},
        form=f"/staff/families/{own}",
    )
    assert page.has("Дата в будущем.")
    assert await _changes(ws, own) == [] and await _notices(ws) == []


async def test_a_refusal_shows_the_appeal_deadline_flagged_unverified(ws: Workspace) -> None:
    own = ws.cases["aigerim"][0]
    agent = await ws.signed_in("aigerim")
    await agent.get(f"/staff/families/{own}")
    page = await agent.post(
        f"/staff/families/{own}/stage",
        {"stage": "refused", "date": "2026-11-20", "reason": "доход выше черты бедности"},
    )
    assert page.has("Appeal by Feb 20, 2027") and page.has("time limit unverified")


async def test_documents_requested_lists_the_ones_not_ticked_off(ws: Workspace) -> None:
    own = ws.cases["aigerim"][0]
    agent = await ws.signed_in("aigerim")
    page = await agent.get(f"/staff/families/{own}")
    # Without an assessment the family's list is the basic one: the application and an ID.
    assert page.has("The application, with the IBAN")
    assert page.has("The applicant's identity card")
    page = await agent.post(f"/staff/families/{own}/documents", {"received": "application"})
    assert page.has("The checklist is saved.")
    await agent.post(
        f"/staff/families/{own}/stage", {"stage": "documents_requested", "date": "2026-11-26"}
    )
    ((stage, _, fields),) = await _changes(ws, own)
    assert stage == "documents_requested"
    assert [d["code"] for d in fields["documents"]] == ["identity"]


async def test_a_case_number_belongs_to_one_family(ws: Workspace) -> None:
    own = ws.cases["aigerim"][0]
    agent = await ws.signed_in("aigerim")
    await agent.get(f"/staff/families/{own}")
    page = await agent.post(f"/staff/families/{own}/number", {"case_number": "Б-1"})
    assert page.has("This case number is another family's.")
    page = await agent.post(
        f"/staff/families/{own}/number",
        {"case_number": "АСП-2026/117"},
        form=f"/staff/families/{own}",
    )
    assert page.has("The case number is saved.") and page.has("АСП-2026/117")


# ------------------------------------------------------------------------------------------
# A spreadsheet of stage changes


STAGES_CSV = (
    "номер дела;этап;дата;примечание;сумма;месяцев;вид помощи;причина\n"
    "А-1;АСП назначена;25.11.2026;;81180;2;безусловная;\n"  # 2
    "А-2;2;2026-11-24;принести справки;;;;\n"  # 3
    "Х-9;applied;2026-11-24;;;;;\n"  # 4: no such case
    "Б-1;applied;2026-11-24;;;;;\n"  # 5: bota's family
    "А-3;approved;2026-11-24;;;;;\n"  # 6: not a stage
    "А-3;refused;2026-11-24;;;;;\n"  # 7: a refusal needs its reason
    "А-3;assigned;2027-01-01;;1000;1;conditional;\n"  # 8: in the future
    ";applied;2026-11-24;;;;;\n"  # 9: no number
    "А-1;АСП назначена;25.11.2026;;81180;2;безусловная;\n"  # 10: the same as row 2
)


async def test_a_spreadsheet_of_stage_changes_reports_each_row_in_the_workers_language(
    ws: Workspace,
) -> None:
    agent = await ws.signed_in("aigerim")
    await agent.post("/staff/language", {"language": "kk", "next": "/staff/"}, form="/staff/")
    page = await agent.upload("/staff/stages/upload", "asp-export.csv", STAGES_CSV.encode("cp1251"))
    assert page.status == 200
    for row, words in [
        (4, "Х-9"),
        (5, "Бұл іс сіздің істеріңіздің қатарында жоқ."),
        (6, "кезең емес"),
        (7, "Бұл кезең үшін себебі міндетті."),
        (8, "Күні болашақта."),
        (9, "Іс нөмірі бос."),
    ]:
        assert page.has(f'<td class="number">{row}</td><td>') and page.has(words), (row, words)
    first, second = ws.cases["aigerim"][:2]
    assert [s for s, _, _ in await _changes(ws, first)] == ["assigned"]
    assert [s for s, _, _ in await _changes(ws, second)] == ["documents_requested"]
    assert len(await _notices(ws)) == 2  # row 10 repeats row 2: recorded and told once
    # Uploaded again (after an interruption, say): nothing is recorded or told twice.
    page = await agent.upload("/staff/stages/upload", "asp-export.csv", STAGES_CSV.encode("cp1251"))
    assert len(await _notices(ws)) == 2


async def test_a_file_without_the_needed_columns_is_refused_whole(ws: Workspace) -> None:
    agent = await ws.signed_in("aigerim")
    page = await agent.upload(
        "/staff/stages/upload", "x.csv", b"case_number,date\nA-1,2026-11-01\n"
    )
    assert page.status == 400
    assert page.has("The first row must name the columns; case_number, stage and date")


# ------------------------------------------------------------------------------------------
# The API, and who is refused


async def _token(ws: Workspace, username: str) -> str:
    def work(connection: Connection) -> str:
        member = find(connection, username)
        assert member is not None
        return issue_token(connection, member, "tests", NOW)

    token: str = await ws.run(work)
    return token


async def _call(
    ws: Workspace,
    method: str,
    path: str,
    token: str,
    body: Any = None,
    *,
    data: bytes | None = None,
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, ws.base + path, json=body, data=data, headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_the_api_changes_a_stage_of_the_workers_own_case_only(ws: Workspace) -> None:
    own, far = ws.cases["aigerim"][0], ws.cases["dana"][0]
    tokens = {name: await _token(ws, name) for name in ("aigerim", "bota", "sara", "marat", "root")}
    change = {"stage": "refused", "date": "2026-11-20", "reason": "доход выше черты"}
    path = f"/api/staff/caseload/{own}/stage"
    status, body = await _call(ws, "POST", path, tokens["aigerim"], change)
    assert status == 200 and body["change"] and not body["recorded_before"]
    # Another worker (the same region), the supervisor and an administrator read; they act not.
    for name in ("bota", "sara", "root"):
        status, _ = await _call(ws, "POST", path, tokens[name], change)
        assert status == 403, name
    status, body = await _call(ws, "POST", path, tokens["aigerim"], {**change, "reason": ""})
    assert status == 400 and body["code"] == "missing" and body["field"] == "reason"
    # Reading: the worker and the region's supervisor and the administrator; not another
    # region's supervisor, nor another worker.
    for name, expected in (("aigerim", 200), ("sara", 200), ("root", 200), ("marat", 403)):
        status, body = await _call(ws, "GET", f"/api/staff/caseload/{own}/stages", tokens[name])
        assert status == expected, name
    status, _ = await _call(ws, "GET", f"/api/staff/caseload/{far}/stages", tokens["bota"])
    assert status == 403
    status, _ = await _call(
        ws, "POST", f"/api/staff/caseload/{own}/documents", tokens["bota"], {"received": []}
    )
    assert status == 403
    status, _ = await _call(
        ws, "POST", "/api/staff/stages?filename=s.csv", tokens["sara"], data=b"x"
    )
    assert status == 403
    assert len(await _notices(ws)) == 1


async def test_a_revoked_token_changes_nothing(ws: Workspace) -> None:
    own = ws.cases["aigerim"][0]
    token = await _token(ws, "aigerim")

    def revoke(connection: Connection) -> None:
        token_id = connection.execute(select(TOKENS.c.id)).scalar_one()
        revoke_token(connection, token_id, NOW)

    await ws.run(revoke)
    status, _ = await _call(
        ws, "POST", f"/api/staff/caseload/{own}/stage", token, {"stage": "applied"}
    )
    assert status == 401 and await _changes(ws, own) == []


async def test_the_api_imports_a_file_of_stage_changes(ws: Workspace) -> None:
    token = await _token(ws, "aigerim")
    status, body = await _call(
        ws, "POST", "/api/staff/stages?filename=asp.csv", token, data=STAGES_CSV.encode()
    )
    assert status == 200
    assert (body["changed"], body["recorded_before"]) == (2, 1)
    assert [r["row"] for r in body["rejected"]] == [4, 5, 6, 7, 8, 9]
    assert body["rejected"][0]["reason"] == 'No case has the number "Х-9".'


# ------------------------------------------------------------------------------------------
# A family that booked a visit


async def _visit_of_a_stranger(ws: Workspace, channel: str, address: str) -> tuple[int, str]:
    """A visit at an Astana office booked by someone in no caseload: its id, the visits page."""

    def work(connection: Connection) -> tuple[int, str]:
        contact = connection.execute(
            insert(CONTACTS)
            .values(
                channel=channel,
                address=address,
                language="kk",
                consent=True,
                opted_out=False,
                created_at=NOW,
            )
            .returning(CONTACTS.c.id)
        ).scalar_one()
        booking = DbAppointments(connection, contact, NOW, default_calendar())
        (slot,) = booking.slots("example-astana-1", None, 1)
        visit = booking.book("example-astana-1", slot.start)
        assert visit is not None
        day = local(slot.start).date().isoformat()
        return visit.id, f"/staff/visits?office=example-astana-1&date={day}"

    found: tuple[int, str] = await ws.run(work)
    return found


async def test_a_family_that_booked_a_visit_gets_a_case_and_its_stages(ws: Workspace) -> None:
    visit, visits = await _visit_of_a_stranger(ws, "telegram", "777001")
    agent = await ws.signed_in("aigerim")
    page = await agent.get(visits)
    assert page.has("Open a case")
    # Without a phone (it booked on Telegram) the case cannot be opened: the page says why.
    page = await agent.post(f"/staff/visits/{visit}/case", {"name": "Сәуле Ахметова"})
    assert page.has("Write the family's phone number.")
    page = await agent.post(
        f"/staff/visits/{visit}/case",
        {"name": "Сәуле Ахметова", "phone": "8 701 555 12 34"},
        form=visits,
    )
    assert page.has("The case is open in your caseload.") and page.has("Сәуле Ахметова")
    case_id = int(page.url.split("/staff/families/")[1].split("?")[0])
    page = await agent.post(f"/staff/families/{case_id}/stage", {"stage": "applied"})
    assert page.has("1. Application received")
    ((key, contact, _),) = await _notices(ws)

    def telegram_of(connection: Connection) -> int:
        found = connection.execute(
            select(CASES.c.telegram_contact_id).where(CASES.c.id == case_id)
        ).scalar_one()
        return int(found)

    # The notice goes to the family's person: its Telegram chat, where it booked.
    assert contact == await ws.run(telegram_of) and key.startswith("stage:")
    # A second time: the family has its case.
    page = await agent.post(
        f"/staff/visits/{visit}/case",
        {"name": "Сәуле", "phone": "87015551235"},
        form=visits,
    )
    assert page.has("This family has a case already.")
    assert ("aigerim", "case.open", f"case {case_id}") in await ws.audit()


async def test_an_older_change_given_later_stays_in_the_history(ws: Workspace) -> None:
    own = ws.cases["aigerim"][0]
    token = await _token(ws, "aigerim")
    path = f"/api/staff/caseload/{own}/stage"
    for stage, on in (("commission_review", "2026-11-20"), ("applied", "2026-11-10")):
        status, _ = await _call(ws, "POST", path, token, {"stage": stage, "date": on})
        assert status == 200
    status, body = await _call(ws, "GET", f"/api/staff/caseload/{own}/stages", token)
    assert status == 200 and body["stage"] == "commission_review"
    assert [c["stage"] for c in body["changes"]] == ["commission_review", "applied"]
    assert len(await _notices(ws)) == 1  # the older one is history: the family is not told


# ------------------------------------------------------------------------------------------
# An office's own stages


def test_an_office_names_its_own_stages_file(tmp_path: Path) -> None:
    shipped = stages_text()
    own = tmp_path / "stages.yaml"
    own.write_text(shipped.replace("ru: Заявление принято", "ru: Заявка зарегистрирована"), "utf-8")
    config = load({"KOMEK_STAGES_FILE": str(own)})
    try:
        assert use_stages(config.stages_file)["applied"].name["ru"] == "Заявка зарегистрирована"
        assert default_stages()["applied"].name["ru"] == "Заявка зарегистрирована"
    finally:
        use_stages(None)
    assert default_stages()["applied"].name["ru"] == "Заявление принято"
    broken = tmp_path / "broken.yaml"
    broken.write_text(shipped.replace("    fields: {}\n", "    fields: {iban: required}\n", 1))
    with pytest.raises(ConfigError, match="stage applied: unknown field 'iban'"):
        load({"KOMEK_STAGES_FILE": str(broken)})
    with pytest.raises(ConfigError, match="names no file"):
        load({"KOMEK_STAGES_FILE": str(tmp_path / "none.yaml")})


async def test_a_caseload_file_gives_case_numbers_each_to_one_family(ws: Workspace) -> None:
    data = (
        "ФИО;телефон;регион;язык;номер дела\n"
        "Асель Нурова;87011110101;Астана;kk;А-100\n"
        "Бауыржан Ким;87011110102;Астана;ru;Б-1\n"  # bota's family has it
        "Гүлім Ода;87011110103;Астана;kk;А 100 ?\n"  # not a case number
    ).encode()

    def member(connection: Connection) -> Member:
        found = find(connection, "aigerim")
        assert found is not None
        return found

    aigerim = await ws.run(member)
    report = await import_caseload(ws.runner.db, aigerim, read_caseload("f.csv", data), NOW)
    assert report.added == 1
    assert report.rejected == [
        (3, "Refused: the case_number is another family's."),
        (4, "The case_number is not a case number."),
    ]

    def numbered(connection: Connection) -> str:
        return str(
            connection.execute(
                select(CASES.c.case_number).where(CASES.c.phone == "+77011110101")
            ).scalar_one()
        )

    assert await ws.run(numbered) == "А-100"
