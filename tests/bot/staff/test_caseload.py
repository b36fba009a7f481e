"""Caseloads: reading the spreadsheets social workers keep (CSV in UTF-8 or Windows-1251, with
',' ';' or tab; XLSX), rejecting bad rows with their row numbers, importing (add, update, never
another worker's family) in batches on SQLite and PostgreSQL, listing a worker's cases and
linking Telegram by the deep-link code."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Connection, func, insert, select

from bot.conversation.runner import InboundMessage, Runner
from bot.i18n.translator import Translator
from bot.staff.accounts import Member, create, find
from bot.staff.caseload import (
    BATCH,
    CaseloadError,
    CaseloadReport,
    CaseRow,
    cases_of,
    import_caseload,
    read_caseload,
    region_code,
)
from bot.storage.cases import link_telegram
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.tables import AUDIT, CASES, CONTACTS
from core.parameters import ParameterStore
from tests.bot.conftest import fresh_postgres

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")
LATER = datetime.fromisoformat("2026-12-01T09:00:00+05:00")
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,24}$")


@dataclass
class Setup:
    db: Database
    alice: Member
    bob: Member


@pytest.fixture(params=["sqlite", "postgresql"])
async def setup(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Setup]:
    async with AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
        else:
            url = await stack.enter_async_context(fresh_postgres())
        db = Database(url)
        await upgrade(db.engine)

        def staff(connection: Connection) -> tuple[Member, Member]:
            for username, region in (("alice", "almaty"), ("bob", "astana")):
                create(
                    connection,
                    username=username,
                    name=username.title(),
                    role="worker",
                    region=region,
                    password="a long enough password",
                    now=NOW,
                )
            alice, bob = find(connection, "alice"), find(connection, "bob")
            assert alice is not None and bob is not None
            return alice, bob

        alice, bob = await db.run(staff)
        yield Setup(db, alice, bob)
        await db.close()


def csv_file(*lines: str, sep: str = ",", encoding: str = "utf-8") -> bytes:
    return "\n".join(line.replace("|", sep) for line in lines).encode(encoding)


async def load(
    db: Database, worker: Member, filename: str, data: bytes, **options: Any
) -> CaseloadReport:
    rows = read_caseload(filename, data)
    return await import_caseload(db, worker, rows, NOW, **options)


async def select_all(db: Database, query: Any) -> list[Any]:
    return await db.run(lambda c: list(c.execute(query).all()))


async def cases(db: Database) -> dict[str, Any]:
    return {row.phone: row for row in await select_all(db, select(CASES))}


async def sms_contacts(db: Database) -> dict[str, Any]:
    rows = await select_all(db, select(CONTACTS).where(CONTACTS.c.channel == "sms"))
    return {row.address: row for row in rows}


GOOD_CSV = (
    "name|phone|region|language|case_notes|next_reassessment",
    "Aigerim Sadykova|+7 701 123 45 67|almaty|kk|two children|2027-02-15",
    "Иван Петров|8 (702) 555-12-34|Карагандинская область|русский||01.03.2027",
    'Dana Nurlanovna|87771112233|Astana|English|"notes, with a comma"|',
)


# ------------------------------------------------------------------------------------------
# Good files


async def test_a_utf8_csv_imports_with_contacts_and_distinct_link_codes(setup: Setup) -> None:
    db, alice = setup.db, setup.alice

    def existing_contact(connection: Connection) -> None:  # the family already wrote by SMS
        connection.execute(
            insert(CONTACTS).values(
                channel="sms",
                address="+77771112233",
                language="kk",
                consent=True,
                opted_out=False,
                created_at=NOW,
            )
        )

    await db.run(existing_contact)
    data = "\ufeff".encode() + csv_file(*GOOD_CSV)
    report = await load(db, alice, "my families.csv", data, source="my families.csv")
    assert report == CaseloadReport(added=3, updated=0, rejected=[])

    found = await cases(db)
    assert set(found) == {"+77011234567", "+77025551234", "+77771112233"}
    aigerim, ivan, dana = found["+77011234567"], found["+77025551234"], found["+77771112233"]
    assert (aigerim.name, aigerim.region, aigerim.language) == ("Aigerim Sadykova", "almaty", "kk")
    assert aigerim.notes == "two children"
    assert aigerim.next_reassessment == date(2027, 2, 15)
    assert (ivan.name, ivan.region, ivan.language) == ("Иван Петров", "karaganda", "ru")
    assert ivan.notes is None and ivan.next_reassessment == date(2027, 3, 1)
    assert (dana.region, dana.language, dana.notes) == ("astana", "en", "notes, with a comma")
    assert dana.next_reassessment is None
    assert {row.staff_id for row in found.values()} == {alice.id}

    codes = [row.link_code for row in found.values()]
    assert len(set(codes)) == 3
    assert all(URL_SAFE.match(code) for code in codes)

    contacts = await sms_contacts(db)
    assert set(contacts) == set(found)  # the one there already is reused, not doubled
    for phone, case in found.items():
        assert case.sms_contact_id == contacts[phone].id
    new = contacts["+77011234567"]
    assert (new.language, new.consent, new.opted_out) == ("kk", False, False)
    assert contacts["+77771112233"].consent is True  # left as the person set it
    assert all(case.telegram_contact_id is None for case in found.values())

    (entry,) = await select_all(db, select(AUDIT))
    assert (entry.staff_id, entry.action, entry.target) == (
        alice.id,
        "caseload.import",
        "my families.csv",
    )
    assert entry.detail == {"added": 3, "updated": 0, "rejected": 0}


async def test_an_xlsx_imports_with_a_date_cell_and_a_number_phone(setup: Setup) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name ", " PHONE", "Region", "Language", "Notes", "Next_Reassessment", "Own"])
    sheet.append(
        ["Aigerim", "+77011234567", "Алматы облысы", "қазақша", None, datetime(2027, 2, 15)]
    )
    sheet.append([])  # an empty row: skipped, but it counts
    sheet.append(["Ivan", 77025551234, "north_kazakhstan", "ru", "a note", "01.03.2027", "x"])
    sheet.append(["Bad date", "+77023334455", "almaty", "ru", None, 45000])  # a bare number
    book.create_sheet("Other").append(["not", "read"])
    buffer = io.BytesIO()
    book.save(buffer)

    rows = list(read_caseload("caseload.XLSX", buffer.getvalue()))
    assert rows == [
        (2, CaseRow("Aigerim", "+77011234567", "almaty_region", "kk", None, date(2027, 2, 15))),
        (4, CaseRow("Ivan", "+77025551234", "north_kazakhstan", "ru", "a note", date(2027, 3, 1))),
        (5, "The next_reassessment is not a date (YYYY-MM-DD or DD.MM.YYYY)."),
    ]
    report = await load(setup.db, setup.alice, "caseload.xlsx", buffer.getvalue())
    assert (report.added, report.updated, len(report.rejected)) == (2, 0, 1)
    found = await cases(setup.db)
    assert found["+77011234567"].next_reassessment == date(2027, 2, 15)
    assert set(await sms_contacts(setup.db)) == {"+77011234567", "+77025551234"}


async def test_a_windows_1251_csv_with_russian_headers_and_semicolons(setup: Setup) -> None:
    data = csv_file(  # as Excel saves "CSV (разделители - запятые)" in a Russian locale
        "ФИО|телефон|регион|язык|примечания|дата переоценки",
        "Иванова Мария|+77011234567|Алматы|русский|многодетная семья|15.02.2027",
        "Сейткали Ерлан|87025551234|Восточно-Казахстанская область|казахский||2027-03-01",
        sep=";",
        encoding="cp1251",
    )
    report = await load(setup.db, setup.alice, "список.csv", data)
    assert report == CaseloadReport(added=2)
    found = await cases(setup.db)
    maria, erlan = found["+77011234567"], found["+77025551234"]
    assert (maria.name, maria.region, maria.language) == ("Иванова Мария", "almaty", "ru")
    assert maria.notes == "многодетная семья"
    assert maria.next_reassessment == date(2027, 2, 15)
    assert (erlan.name, erlan.region, erlan.language) == ("Сейткали Ерлан", "east_kazakhstan", "kk")


def test_a_tab_separated_csv_is_read() -> None:
    data = csv_file("phone|name|region|language", "+77011234567|Aigerim|abai|en", sep="\t")
    assert list(read_caseload("c.csv", data)) == [
        (2, CaseRow("Aigerim", "+77011234567", "abai", "en", None, None))
    ]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("almaty", "almaty"),
        ("Almaty Region", "almaty_region"),
        ("Алматы облысы", "almaty_region"),
        ("Алматинская область", "almaty_region"),
        ("г. Алматы", "almaty"),
        ("East Kazakhstan", "east_kazakhstan"),
        ("Шығыс Қазақстан облысы", "east_kazakhstan"),
        ("Akmola region", "akmola"),
        ("Акмолинская обл.", "akmola"),
        ("область Абай", "abai"),
        ("ЗКО", "west_kazakhstan"),
        ("Mars", None),
        ("", None),
    ],
)
def test_region_names(typed: str, code: str | None) -> None:
    assert region_code(typed) == code


# ------------------------------------------------------------------------------------------
# Bad rows and bad files


async def test_malformed_rows_are_rejected_with_row_and_reason(setup: Setup) -> None:
    data = csv_file(
        "name|phone|region|language|case_notes|next_reassessment",
        "Good One|+77011234567|almaty|kk||",  # 2
        "Bad Phone|12345|almaty|kk||",  # 3
        "Bad Region|+77011234568|Mars|kk||",  # 4
        "Bad Language|+77011234569|almaty|deutsch||",  # 5
        "",  # 6: an empty line is skipped
        "Bad Date|+77011234570|almaty|ru||31.02.2027",  # 7
        "|+77011234571|almaty|ru||",  # 8
        f"Long Notes|+77011234572|almaty|ru|{'x' * 2001}|",  # 9
        f"{'N' * 201}|+77011234573|almaty|ru||",  # 10
        "No Region|+77011234574||ru||",  # 11
        "No Phone||almaty|ru||",  # 12
        "Good Two|+77011234575|astana|en|fine|2027-01-31",  # 13
        "Short Row|+77011234576",  # 14: the missing cells are empty
    )
    report = await load(setup.db, setup.alice, "c.csv", data)
    assert report.added == 2 and report.updated == 0
    assert report.rejected == [
        (3, "The phone is not a phone number."),
        (4, 'The region "Mars" is not a region of Kazakhstan.'),
        (5, 'The language "deutsch" is not kk, ru or en.'),
        (7, "The next_reassessment is not a date (YYYY-MM-DD or DD.MM.YYYY)."),
        (8, "The name is empty."),
        (9, "The case_notes are longer than 2000 characters."),
        (10, "The name is longer than 200 characters."),
        (11, "The region is empty."),
        (12, "The phone is empty."),
        (14, "The region is empty."),
    ]
    assert set(await cases(setup.db)) == {"+77011234567", "+77011234575"}
    (entry,) = await select_all(setup.db, select(AUDIT))
    assert entry.target == "caseload"
    assert entry.detail == {"added": 2, "updated": 0, "rejected": 10}


async def test_duplicates_other_workers_and_reimport(setup: Setup) -> None:
    db, alice, bob = setup.db, setup.alice, setup.bob
    first = await load(db, alice, "a.csv", csv_file(*GOOD_CSV))
    assert first.added == 3
    before = await cases(db)

    data = csv_file(
        "name|phone|region|language",
        "Bob's family|+77051234567|astana|ru",  # 2
        "Alice's family|87011234567|astana|ru",  # 3: Alice's
        "Twice|+7 705 123 45 67|astana|ru",  # 4: the phone of row 2
        "Bad then good|+77059998877|Mars|ru",  # 5
        "Good after bad|+77059998877|astana|ru",  # 6: row 5 was rejected, so this one counts
    )
    report = await load(db, bob, "b.csv", data)
    assert report.added == 2 and report.updated == 0
    assert report.rejected == [
        (3, "Refused: the phone is already in a caseload."),  # whose is not Bob's business
        (4, "The same phone as row 2."),
        (5, 'The region "Mars" is not a region of Kazakhstan.'),
    ]
    # The audit log, which supervisors read, says whose case the refused phone is.
    alices = before["+77011234567"].id
    refused = await db.run(
        lambda c: (
            c.execute(select(AUDIT.c.detail).where(AUDIT.c.action == "caseload.refused"))
            .scalars()
            .all()
        )
    )
    assert refused == [{"rows": [{"row": 3, "case": alices}]}]
    after = await cases(db)
    assert after["+77011234567"] == before["+77011234567"]  # untouched
    assert after["+77051234567"].staff_id == bob.id

    again = csv_file(
        "name|phone|region|language|notes|next_reassessment",
        "Aigerim Sadykova-Ospanova|+77011234567|almaty_region|ru|moved|2027-05-01",
        "New Family|+77013332211|almaty|kk||",
    )
    rows = read_caseload("a.csv", again)
    report = await import_caseload(setup.db, alice, rows, LATER)
    assert report == CaseloadReport(added=1, updated=1)
    updated = (await cases(db))["+77011234567"]
    old = before["+77011234567"]
    assert (updated.name, updated.region, updated.language) == (
        "Aigerim Sadykova-Ospanova",
        "almaty_region",
        "ru",
    )
    assert (updated.notes, updated.next_reassessment) == ("moved", date(2027, 5, 1))
    assert updated.updated_at == LATER and updated.created_at == old.created_at
    assert (updated.link_code, updated.sms_contact_id) == (old.link_code, old.sms_contact_id)
    assert len(await sms_contacts(db)) == 6


async def test_rows_not_from_a_file_are_checked_for_duplicates_too(setup: Setup) -> None:
    row = CaseRow("Aigerim", "+77011234567", "almaty", "kk", None, None)
    rows: list[tuple[int, CaseRow | str]] = [(1, row), (2, row), (3, "given up")]
    report = await import_caseload(setup.db, setup.alice, rows, NOW)
    assert report == CaseloadReport(
        added=1, rejected=[(2, "The same phone as row 1."), (3, "given up")]
    )


BROKEN_ZIP = b"PK\x03\x04 but not really a zip file"


@pytest.mark.parametrize(
    ("filename", "data", "why"),
    [
        ("caseload.pdf", b"%PDF-1.7", "as .csv or .xlsx"),
        ("caseload", b"name,phone\n", "as .csv or .xlsx"),
        ("c.csv", b"name,region,language\nAigerim,almaty,kk\n", "no phone column"),
        ("c.csv", csv_file("ФИО;регион", encoding="cp1251"), "no phone column"),
        ("c.csv", b"region,language\n", "no name or phone column"),
        ("c.csv", b"name,phone,notes,case_notes\n", "case_notes column appears twice"),
        ("c.csv", b"", "empty"),
        ("c.xlsx", b"not a zip at all", "not a readable XLSX"),
        ("c.xlsx", BROKEN_ZIP, "not a readable XLSX"),
        ("c.xlsx", csv_file(*GOOD_CSV), "not a readable XLSX"),
    ],
)
def test_unreadable_files(filename: str, data: bytes, why: str) -> None:
    with pytest.raises(CaseloadError, match=why):
        read_caseload(filename, data)


def test_an_xlsx_that_is_a_zip_of_something_else() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(CaseloadError, match="not a readable XLSX"):
        read_caseload("c.xlsx", buffer.getvalue())


# ------------------------------------------------------------------------------------------
# Many rows


async def test_ten_thousand_rows_in_batches(setup: Setup) -> None:
    lines = ["name,phone,region,language,next_reassessment"]
    lines += [f"Family {n},+7701{n:07d},almaty,kk,2027-01-{n % 28 + 1:02d}" for n in range(10_000)]
    data = "\n".join(lines).encode()
    done: list[int] = []
    report = await load(setup.db, setup.alice, "big.csv", data, progress=done.append)
    assert report == CaseloadReport(added=10_000)
    assert done == list(range(BATCH, 10_001, BATCH))

    def counts(connection: Connection) -> tuple[int, int, int]:
        return (
            connection.execute(select(func.count()).select_from(CASES)).scalar_one(),
            connection.execute(select(func.count()).select_from(CONTACTS)).scalar_one(),
            connection.execute(select(func.count(func.distinct(CASES.c.link_code)))).scalar_one(),
        )

    assert await setup.db.run(counts) == (10_000, 10_000, 10_000)

    # Once more: all of them are updates now.
    report = await load(setup.db, setup.alice, "big.csv", data)
    assert report == CaseloadReport(updated=10_000)


# ------------------------------------------------------------------------------------------
# A worker's list, and Telegram


async def test_cases_of_and_link_telegram(setup: Setup) -> None:
    db, alice, bob = setup.db, setup.alice, setup.bob
    await load(db, alice, "a.csv", csv_file(*GOOD_CSV))
    await load(
        db, bob, "b.csv", csv_file("name,phone,region,language", "Bob's,+77059998877,astana,ru")
    )
    found = await cases(db)
    code = found["+77011234567"].link_code

    def telegram_contact(connection: Connection) -> int:
        return int(
            connection.execute(
                insert(CONTACTS)
                .values(
                    channel="telegram",
                    address="123456789",
                    language="kk",
                    consent=False,
                    opted_out=False,
                    created_at=NOW,
                )
                .returning(CONTACTS.c.id)
            ).scalar_one()
        )

    chat = await db.run(telegram_contact)
    assert await db.run(lambda c: link_telegram(c, code, chat, LATER)) is True
    assert await db.run(lambda c: link_telegram(c, "nosuchcode00", chat, LATER)) is False
    assert await db.run(lambda c: link_telegram(c, "' or 1=1 --", chat, LATER)) is False
    linked = (await cases(db))["+77011234567"]
    assert (linked.telegram_contact_id, linked.updated_at) == (chat, LATER)

    mine = await db.run(lambda c: cases_of(c, alice))
    assert [(case.name, case.phone) for case in mine] == [
        ("Aigerim Sadykova", "…4567"),
        ("Dana Nurlanovna", "…2233"),
        ("Иван Петров", "…1234"),
    ]
    aigerim = mine[0]
    assert aigerim.id == linked.id
    assert (aigerim.region, aigerim.language) == ("almaty", "kk")
    assert aigerim.next_reassessment == date(2027, 2, 15)
    assert aigerim.channels == ("sms", "telegram")
    assert mine[1].channels == ("sms",)
    theirs = await db.run(lambda c: cases_of(c, bob))
    assert [(case.name, case.phone, case.channels) for case in theirs] == [
        ("Bob's", "…8877", ("sms",))
    ]


async def test_a_family_opening_the_deep_link_is_greeted_in_its_language(
    setup: Setup, store: ParameterStore, translator: Translator
) -> None:
    data = csv_file(
        "name|phone|region|language",
        "Айгүл|87011234567|almaty|kk",
    )
    await load(setup.db, setup.alice, "cases.csv", data)
    code = (await cases(setup.db))["+77011234567"].link_code
    runner = Runner(setup.db, store, translator, lambda: NOW)
    replies = await runner.handle(InboundMessage("telegram", "424242", f"/start {code}"))
    labels = " ".join(label for _, label in replies[0].choices)
    assert "Көмек" in replies[0].text and "Иә" in labels  # the consent question, in Kazakh
    linked = (await cases(setup.db))["+77011234567"]
    assert linked.telegram_contact_id is not None
