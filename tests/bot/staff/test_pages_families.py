"""The caseload pages: search by name (any word, its beginning, without Kazakh letters) or the
last digits of a phone through the terms index; filters, sorting and pages; an upload with its
per-row report; exports in CSV and XLSX with formulas neutralised; the family page with its
timeline, its notes, a message and a visit booked; phones shown whole only to the family's own
worker."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Connection, insert, select, text, update

from bot.i18n.translator import Translator
from bot.staff.exports import neutral, to_csv
from bot.staff.search import query_terms, reindex, terms
from bot.storage.tables import (
    ASSESSMENTS,
    CASE_TERMS,
    CASES,
    CONTACTS,
    MESSAGES,
    OUTBOX,
)
from tests.bot.staff.workspace import NOW, Workspace, workspace


@pytest.fixture
async def ws(tmp_path: Path, translator: Translator) -> AsyncIterator[Workspace]:
    async with workspace(tmp_path, translator) as found:
        yield found


def test_a_name_is_found_by_each_word_folded_and_a_phone_by_its_last_digits() -> None:
    assert terms("Айгерім Сәрсенова-Бек", "+77011110001") == {
        "айгерим",
        "сарсенова",
        "бек",
        "#10001111077",
    }
    assert query_terms("  АЙГЕРИМ  сәр ") == ["айгерим", "сар"]
    assert query_terms("…0001") == ["#1000"]
    assert query_terms("01") == []  # too few digits to mean a phone


async def test_search_uses_the_terms_index(ws: Workspace) -> None:
    def plan(connection: Connection) -> str:
        rows = connection.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT case_id FROM case_terms"
                " WHERE term >= 'айг' AND term < 'айд'"
            )
        ).all()
        return " ".join(str(r[-1]) for r in rows)

    assert "USING COVERING INDEX ix_case_terms_term" in await ws.run(plan)


async def test_a_worker_finds_her_families_by_name_or_phone_and_no_one_else_s(
    ws: Workspace,
) -> None:
    agent = await ws.signed_in("aigerim")
    page = await agent.get("/staff/caseload?q=айгерим")
    assert page.has("Айгерім Сәрсенова") and not page.has("Иван Петров")
    page = await agent.get("/staff/caseload?q=0002")
    assert page.has("Иван Петров") and not page.has("Айгерім")
    page = await agent.get("/staff/caseload?q=Серік")  # bota's family
    assert not page.has("Бота Серікова")
    page = await agent.get("/staff/caseload")
    assert page.has("+77011110001")  # her own: the whole phone


async def test_a_supervisor_sees_her_region_with_phones_by_their_last_digits(
    ws: Workspace,
) -> None:
    agent = await ws.signed_in("sara")
    page = await agent.get("/staff/caseload")
    assert page.has("Айгерім Сәрсенова") and page.has("Бота Серікова")
    assert not page.has("Дана")
    assert page.has("…0001") and not page.has("+77011110001")
    family = await agent.get(f"/staff/families/{ws.cases['aigerim'][0]}")
    assert family.status == 200 and not family.has("+77011110001")


async def test_filters_sorting_and_pages(ws: Workspace) -> None:
    own = ws.cases["aigerim"]

    def seed(connection: Connection) -> None:
        contact = connection.execute(
            select(CASES.c.sms_contact_id).where(CASES.c.id == own[1])
        ).scalar_one()
        connection.execute(update(CONTACTS).where(CONTACTS.c.id == contact).values(consent=True))
        connection.execute(
            insert(MESSAGES).values(
                contact_id=contact,
                channel="sms",
                direction="in",
                body="Сәлем",
                status="processed",
                created_at=NOW - timedelta(days=2),
                updated_at=NOW,
            )
        )
        connection.execute(
            insert(ASSESSMENTS).values(
                contact_id=contact,
                household={"date": "2026-11-20", "region": "astana", "members": [{"age": 30}]},
                result={"status": "eligible", "monthly_amount": 1000, "poverty_line": 40000},
                created_at=NOW - timedelta(days=2),
            )
        )

    await ws.run(seed)
    agent = await ws.signed_in("aigerim")
    for query, shown in (
        ("last=7", ["Иван Петров"]),
        ("last=never", ["Айгерім Сәрсенова", "HYPERLINK"]),
        ("consent=yes", ["Иван Петров"]),
        ("consent=no", ["Айгерім Сәрсенова", "HYPERLINK"]),
        ("status=eligible", ["Иван Петров"]),
        ("status=none", ["Айгерім Сәрсенова", "HYPERLINK"]),
        ("language=kk", ["Айгерім Сәрсенова"]),
        ("channel=telegram", []),
    ):
        page = await agent.get(f"/staff/caseload?{query}")
        for name in ("Айгерім Сәрсенова", "Иван Петров", "HYPERLINK"):
            assert page.has(name) == (name in shown), (query, name)
    page = await agent.get("/staff/caseload?sort=last")
    assert page.text.index("Иван Петров") < page.text.index("Айгерім Сәрсенова")


async def test_a_caseload_of_ten_thousand_pages_by_fifty(ws: Workspace) -> None:
    def seed(connection: Connection) -> None:
        staff_id = connection.execute(
            select(CASES.c.staff_id).where(CASES.c.id == ws.cases["bota"][0])
        ).scalar_one()
        rows = [
            {
                "staff_id": staff_id,
                "name": f"Family {i:05d}",
                "phone": f"+7705{i:07d}",
                "region": "astana",
                "language": "ru",
                "link_code": f"code{i:08d}",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(10_000)
        ]
        connection.execute(insert(CASES), rows)
        reindex(
            connection,
            connection.execute(
                select(CASES.c.id, CASES.c.name, CASES.c.phone).where(CASES.c.name.like("Family %"))
            ),
        )

    await ws.run(seed)
    agent = await ws.signed_in("bota")
    page = await agent.get("/staff/caseload")
    assert page.has("10,001") or page.has("10 001") or page.has("10\u00a0001")
    assert page.text.count("/staff/families/") == 50
    last = await agent.get("/staff/caseload?page=201")
    assert last.has("Бота Серікова") and last.text.count("/staff/families/") == 1
    before = await agent.get("/staff/caseload?page=200")
    assert before.has("Family 09999") and before.text.count("/staff/families/") == 50
    found = await agent.get("/staff/caseload?q=0001234")
    assert found.has("Family 01234") and found.text.count("/staff/families/") == 1


async def test_an_upload_reports_each_bad_row(ws: Workspace) -> None:
    agent = await ws.signed_in("bota")
    content = (
        "ФИО;телефон;регион;язык\n"
        "Асель Нурланова;+7 701 555 11 22;Астана;русский\n"
        ";+77015551123;astana;ru\n"
        "Ерлан Б.;12345;astana;ru\n"
        "Гульнар К.;+77015551124;Марс;kk\n"
        "Иван Петров;+77011110002;astana;ru\n"  # aigerim's family
    ).encode("cp1251")
    page = await agent.upload("/staff/caseload/upload", "семьи.csv", content)
    assert page.status == 200
    assert page.has("The name is empty.")
    assert page.has("The phone is not a phone number.")
    assert page.has('The region "Марс" is not a region of Kazakhstan.'), page.text
    assert page.has("Refused: this phone is already in a caseload.")
    found = await agent.get("/staff/caseload?q=Асель")
    assert found.has("Асель Нурланова")
    bad = await agent.upload("/staff/caseload/upload", "x.csv", b"who,what\n1,2\n")
    assert bad.status == 400 and bad.has("name (ФИО) and phone (телефон) are required")
    assert ("bota", "caseload.import", "семьи.csv") in await ws.audit()


def test_formulas_are_neutralised() -> None:
    for start in ("=", "+", "-", "@"):
        assert neutral(start + "1+1") == "'" + start + "1+1"
    assert neutral("Айгерім") == "Айгерім" and neutral(7) == 7
    body = to_csv(["a"], [["=cmd|' /C calc'!A0"]]).decode("utf-8-sig")
    assert body.splitlines()[1] == "'=cmd|' /C calc'!A0"


async def test_exports_hold_the_filtered_list_and_are_audited(ws: Workspace) -> None:
    agent = await ws.signed_in("aigerim")
    status, body, headers = await agent.raw("/staff/caseload/export.csv?language=en")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 2 and lines[1][0] == '\'=HYPERLINK("http://x")'
    assert lines[1][1] == "'+77011110003"
    status, body, headers = await agent.raw("/staff/caseload/export.xlsx")
    assert status == 200
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4
    names = {row[0] for row in rows[1:]}
    assert '\'=HYPERLINK("http://x")' in names and "Айгерім Сәрсенова" in names
    assert all(not str(row[1]).startswith("+") for row in rows[1:])  # "+7..." neutralised too
    actions = [a for _, a, _ in await ws.audit()]
    assert actions.count("caseload.export") == 2


async def test_the_family_page_shows_the_timeline_and_takes_notes_messages_and_visits(
    ws: Workspace,
) -> None:
    case_id = ws.cases["aigerim"][0]

    def seed(connection: Connection) -> None:
        contact = connection.execute(
            select(CASES.c.sms_contact_id).where(CASES.c.id == case_id)
        ).scalar_one()
        connection.execute(update(CONTACTS).where(CONTACTS.c.id == contact).values(consent=True))
        for direction, body, status in (
            ("in", "Сәлем", "processed"),
            ("out", "Қош келдіңіз", "delivered"),
        ):
            connection.execute(
                insert(MESSAGES).values(
                    contact_id=contact,
                    channel="sms",
                    direction=direction,
                    body=body,
                    status=status,
                    created_at=NOW - timedelta(hours=1),
                    updated_at=NOW,
                )
            )
        connection.execute(
            insert(ASSESSMENTS).values(
                contact_id=contact,
                household={
                    "date": "2026-01-15",
                    "region": "aktobe",
                    "members": [
                        {"age": 28, "sex": "female", "cares_for": [1], "income": 30000},
                        {"age": 2},
                        {"age": 5},
                    ],
                },
                result={"status": "eligible", "monthly_amount": 81180, "poverty_line": 37060},
                created_at=NOW - timedelta(minutes=30),
            )
        )

    await ws.run(seed)
    agent = await ws.signed_in("aigerim")
    await agent.post("/staff/language", {"language": "en", "next": "/staff/"})
    page = await agent.get(f"/staff/families/{case_id}")
    assert page.status == 200
    assert page.has("Сәлем") and page.has("Қош келдіңіз") and page.has("Delivered")
    assert page.has("Likely eligible") and page.has("Social Code")  # explained in English
    await agent.post(f"/staff/families/{case_id}/notes", {"note": "Called; documents next week."})
    page = await agent.post(
        f"/staff/families/{case_id}/message", {"text": "Сәлеметсіз бе! Құжаттар дайын."}
    )
    assert "done=sent" in page.url
    page = await agent.get(
        f"/staff/families/{case_id}/visit?office=example-astana-1&day=2026-12-02"
    )
    assert page.status == 200
    start = page.text.split('name="start" value="')[1].split('"')[0]
    page = await agent.post(
        f"/staff/families/{case_id}/visit", {"office": "example-astana-1", "start": start}
    )
    assert "done=booked" in page.url
    page = await agent.get(f"/staff/families/{case_id}")
    assert page.has("Called; documents next week.")

    def outbox(connection: Connection) -> list[tuple[str, str]]:
        return [
            (r.kind, r.status) for r in connection.execute(select(OUTBOX.c.kind, OUTBOX.c.status))
        ]

    kinds = {kind for kind, _ in await ws.run(outbox)}
    assert {"staff_message", "visit_booked", "visit_reminder"} <= kinds
    actions = [a for _, a, _ in await ws.audit()]
    assert {"family.view", "family.note", "family.message", "visit.book"} <= set(actions)


async def test_the_terms_of_a_changed_name_follow_it(ws: Workspace) -> None:
    agent = await ws.signed_in("dana")
    content = "name,phone,region,language\nДана Серікбаева,+77021110001,almaty,kk\n".encode()
    await agent.upload("/staff/caseload/upload", "again.csv", content)
    assert (await agent.get("/staff/caseload?q=серикбаева")).has("Дана Серікбаева")
    assert not (await agent.get("/staff/caseload?q=нурланкызы")).has("Дана")
    count = await ws.run(lambda c: c.execute(select(CASE_TERMS.c.term)).scalars().all())
    assert "нурланкызы" not in count
