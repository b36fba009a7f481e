"""A social worker's caseload: the families a worker looks after, imported from the spreadsheet the
worker already keeps (CSV as Excel saves it, or XLSX), listed back, and linked to Telegram when a
family opens the worker's deep link (`/start <link_code>`).

Reading is streamed and does not touch the database: each row of the file comes out with its row
number (the header is row 1, as Excel numbers them) and either a `CaseRow` or the reason it is
rejected. Importing runs in the caller's transaction, in batches, so that ten thousand rows take
a few dozen statements and memory stays flat. Rejection reasons name a column and never repeat a
family's name or phone: the report may be shown or kept where personal data must not be.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import re
import secrets
import warnings
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import Connection, bindparam, func, insert, select, update

from bot.contacts.phone import last_digits, normalise
from bot.staff.accounts import Member, audit
from bot.staff.search import reindex
from bot.storage import people
from bot.storage.database import Database
from bot.storage.tables import CASES, CONTACTS
from core.regions import REGIONS
from dialogs.flows.assessment import REGION_WORDS

LANGUAGES = ("kk", "ru", "en")
MAX_NAME = 200
MAX_NOTES = 2000
# Rows per transaction: small enough that a batch holds the SQLite writer (or, for the CLI, the
# database file) for a few milliseconds, so that conversations go on during a large import.
BATCH = 100
# Between two batches the import steps aside for a moment: what people send is answered first
# (without it, chat's p99 during a 100,000-row import was about 300 ms; with it, under 100 ms).
PAUSE = 0.005
LINK_VALID = timedelta(days=30)

# Header names (lower-cased, surrounding spaces dropped) → the field they fill.
COLUMNS: dict[str, str] = {
    "name": "name",
    "фио": "name",
    "phone": "phone",
    "телефон": "phone",
    "region": "region",
    "регион": "region",
    "language": "language",
    "язык": "language",
    "case_notes": "notes",
    "notes": "notes",
    "примечания": "notes",
    "next_reassessment": "next_reassessment",
    "дата переоценки": "next_reassessment",
    "case_number": "case_number",
    "номер дела": "case_number",
    "№ дела": "case_number",
    "іс нөмірі": "case_number",
}
# How each field is named in a rejection reason.
LABELS = {
    "name": "name",
    "phone": "phone",
    "region": "region",
    "language": "language",
    "notes": "case_notes",
    "next_reassessment": "next_reassessment",
    "case_number": "case_number",
}
REQUIRED = ("name", "phone")

# The cells of a file's rows, the header first; closing it releases the file.
Rows = Generator[Sequence[object], None, None]

LANGUAGE_WORDS: dict[str, str] = {
    "kk": "kk", "қазақ": "kk", "қазақша": "kk", "казахский": "kk", "kazakh": "kk",
    "ru": "ru", "русский": "ru", "орысша": "ru", "russian": "ru",
    "en": "en", "english": "en", "ағылшын": "en", "английский": "en",
}  # fmt: skip

# Russian names of regions as a spreadsheet writes them ("Карагандинская область"), beyond the
# words the assessment dialog knows.
RUSSIAN_REGIONS: dict[str, str] = {
    "абайская": "abai", "акмолинская": "akmola", "актюбинская": "aktobe",
    "атырауская": "atyrau", "жетысуская": "jetisu", "карагандинская": "karaganda",
    "костанайская": "kostanay", "кызылординская": "kyzylorda", "мангистауская": "mangystau",
    "мангыстауская": "mangystau", "павлодарская": "pavlodar", "туркестанская": "turkistan",
    "улытауская": "ulytau", "жамбылская": "zhambyl",
}  # fmt: skip

# What people add to a region's name: "Ақмола облысы", "Акмолинская область", "область Абай",
# "Akmola region", "г. Алматы".
_REGION_SUFFIXES = (" облысы", " область", " обл.", " обл", " region")
_REGION_PREFIXES = ("область ", "обл. ")
_CITY_WORDS = re.compile(r"^(г\.|город|city of)\s*|\s+(қаласы|city)$")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
# A case number as the official system writes it: letters, digits, "-", "/", "." (up to 40).
CASE_NUMBER = re.compile(
    r"^[0-9A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі][0-9A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі./-]{0,39}$"
)


class CaseloadError(ValueError):
    """A caseload file that cannot be read at all; the message says why."""


@dataclass(frozen=True, slots=True)
class CaseRow:
    name: str
    phone: str  # E.164
    region: str  # a code from core.regions.REGIONS
    language: str  # kk | ru | en
    notes: str | None
    next_reassessment: date | None
    case_number: str | None = None  # the number of the case in the official system


@dataclass
class CaseloadReport:
    added: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row number in the file, why)


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """A case as a worker's list shows it: the phone only by its last digits."""

    id: int
    name: str
    phone: str  # "…4567"
    region: str
    language: str
    next_reassessment: date | None
    channels: tuple[str, ...]  # "sms", "telegram": the ones linked


# ------------------------------------------------------------------------------------------
# Reading a file


def read_caseload(filename: str, data: bytes) -> Iterator[tuple[int, CaseRow | str]]:
    """Rows of a .csv (UTF-8 with or without BOM, or Windows-1251; ',' or ';' or tab) or .xlsx
    (first sheet, openpyxl read_only, streamed) file: each with its row number in the file (the
    header is row 1) and either a CaseRow or the reason it is rejected. Raises CaseloadError
    (a ValueError) for a file that cannot be read at all or lacks the name/phone columns.

    The header is read and checked at once; the rows come as the iterator is consumed. Empty
    rows are skipped (they still count in the row numbers). A phone already given by a valid
    row earlier in the file is rejected."""
    lowered = filename.lower()
    if lowered.endswith(".csv"):
        cells = csv_rows(data)
    elif lowered.endswith(".xlsx"):
        cells = xlsx_rows(data)
    else:
        raise CaseloadError(f"{filename}: a caseload comes as .csv or .xlsx")
    try:
        header = next(cells, None)
        if header is None:
            raise CaseloadError(f"{filename}: the file is empty")
        positions = _columns(filename, header)
    except BaseException:
        cells.close()
        raise
    return _rows(filename, cells, positions)


def _rows(
    filename: str, cells: Rows, positions: dict[str, int]
) -> Iterator[tuple[int, CaseRow | str]]:
    seen: dict[str, int] = {}  # phone → the row that gave it
    try:
        for number, values in enumerate(cells, 2):
            if all(blank_cell(v) for v in values):
                continue
            row = {key: values[i] if i < len(values) else None for key, i in positions.items()}
            parsed = parse_row(row)
            if isinstance(parsed, CaseRow):
                first = seen.setdefault(parsed.phone, number)
                if first != number:
                    parsed = f"The same phone as row {first}."
            yield number, parsed
    finally:
        cells.close()


def _columns(filename: str, header: Sequence[object]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for i, title in enumerate(header):
        key = COLUMNS.get(cell_text(title).lower())
        if key is None:
            continue  # a column of the worker's own: not ours to read
        if key in positions:
            raise CaseloadError(f"{filename}: the {LABELS[key]} column appears twice")
        positions[key] = i
    missing = [LABELS[key] for key in REQUIRED if key not in positions]
    if missing:
        raise CaseloadError(
            f"{filename}: the header (row 1) has no {' or '.join(missing)} column"
            " (name/ФИО and phone/телефон are required)"
        )
    return positions


def csv_rows(data: bytes) -> Rows:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")  # Excel's "Unicode text"
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1251", errors="replace")
    first_line = text.split("\n", 1)[0]
    # Excel writes ';' where the decimal comma is the custom (a Russian or Kazakh locale).
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise CaseloadError(f"line {reader.line_num}: not readable CSV ({exc})") from None


# What openpyxl raises for bytes that are not a workbook: not a zip, a part missing, XML that
# does not parse (a SyntaxError), values that make no sense.
_XLSX_ERRORS = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    OSError,
    SyntaxError,
)


def xlsx_rows(data: bytes) -> Rows:
    try:
        with warnings.catch_warnings():
            # Files written by other programs make openpyxl warn about styles it ignores anyway.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
    except _XLSX_ERRORS as exc:
        raise CaseloadError(f"not a readable XLSX file ({type(exc).__name__})") from None
    try:
        if not book.worksheets:
            raise CaseloadError("the XLSX file has no sheet")
        try:
            yield from book.worksheets[0].iter_rows(values_only=True)
        except _XLSX_ERRORS as exc:
            raise CaseloadError(f"the first sheet is not readable ({type(exc).__name__})") from None
    finally:
        book.close()


# ------------------------------------------------------------------------------------------
# One row


def parse_row(row: dict[str, object]) -> CaseRow | str:
    """The case in `row` (cell values by field name: name, phone, region, language, notes,
    next_reassessment; a field absent is as an empty cell), or why it is rejected."""
    name = " ".join(cell_text(row.get("name")).split())
    if not name:
        return "The name is empty."
    if len(name) > MAX_NAME:
        return f"The name is longer than {MAX_NAME} characters."

    # A phone typed into Excel without "+" is a number cell: 77011234567 (or 77011234567.0).
    raw_phone = cell_text(row.get("phone"))
    if not raw_phone:
        return "The phone is empty."
    phone = normalise(raw_phone)
    if phone is None:
        return "The phone is not a phone number."

    raw_region = cell_text(row.get("region"))
    if not raw_region:
        return "The region is empty."
    region = region_code(raw_region)
    if region is None:
        return f"The region {_quote(raw_region)} is not a region of Kazakhstan."

    raw_language = cell_text(row.get("language"))
    if not raw_language:
        return "The language is empty."
    language = LANGUAGE_WORDS.get(raw_language.lower())
    if language is None:
        return f"The language {_quote(raw_language)} is not kk, ru or en."

    notes = cell_text(row.get("notes")) or None
    if notes is not None and len(notes) > MAX_NOTES:
        return f"The case_notes are longer than {MAX_NOTES} characters."

    cell = row.get("next_reassessment")
    next_reassessment = cell_date(cell)
    if next_reassessment is None and not blank_cell(cell):
        return "The next_reassessment is not a date (YYYY-MM-DD or DD.MM.YYYY)."

    case_number = cell_text(row.get("case_number")) or None
    if case_number is not None and not CASE_NUMBER.match(case_number):
        return "The case_number is not a case number."

    return CaseRow(name, phone, region, language, notes, next_reassessment, case_number)


def region_code(typed: str) -> str | None:
    """The code of a region given as its code or its name (Kazakh, Russian or English, with or
    without "облысы", "область", "region"), or None."""
    text = " ".join(typed.lower().split())
    for candidate in _region_forms(text):
        if candidate in REGIONS:
            return candidate
        underscored = candidate.replace(" ", "_").replace("-", "_")
        if underscored in REGIONS:
            return underscored
        code = REGION_WORDS.get(candidate) or RUSSIAN_REGIONS.get(candidate)
        if code is not None:
            return code
    return None


def _region_forms(text: str) -> Iterator[str]:
    # The whole name first: "алматы облысы" is the region, "алматы" the city.
    yield text
    for suffix in _REGION_SUFFIXES:
        if text.endswith(suffix):
            yield text.removesuffix(suffix).strip()
    for prefix in _REGION_PREFIXES:
        if text.startswith(prefix):
            yield text.removeprefix(prefix).strip()
    city = _CITY_WORDS.sub("", text).strip()
    if city != text:
        yield city


def cell_date(cell: object) -> date | None:
    if isinstance(cell, datetime):  # an Excel date cell
        return cell.date()
    if isinstance(cell, date):
        return cell
    if not isinstance(cell, str):
        return None
    text = cell.strip()
    for form in _DATE_FORMATS:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def blank_cell(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _quote(value: str) -> str:
    return f'"{value[:40]}…"' if len(value) > 40 else f'"{value}"'


# ------------------------------------------------------------------------------------------
# Importing


async def import_caseload(
    db: Database,
    worker: Member,
    rows: Iterable[tuple[int, CaseRow | str]],
    now: datetime,
    *,
    progress: Callable[[int], None] | None = None,
    source: str = "caseload",
    link_valid: timedelta = LINK_VALID,
    pause: float = PAUSE,
) -> CaseloadReport:
    """Add each valid row to `worker`'s caseload, or update the worker's case with that phone;
    a phone in another worker's caseload is refused. A new case gets a fresh link code and the
    SMS contact of its phone (found, or made without consent). One audit entry (target
    `source`) records the counts.

    The rows are read first, in a thread of their own (reading a large XLSX takes seconds that
    belong neither to the event loop nor to the database writer), then written `BATCH` at a
    time, each batch its own short transaction, so that a large import never holds up the
    conversations. `progress` hears the number of rows done after each batch. A batch's work is
    a function of rows already read, so the database may run it again (see `Database.run`).
    Between batches it waits `pause` seconds, so that conversations are not held up."""
    read = await asyncio.to_thread(list, rows)
    report = CaseloadReport()
    seen: dict[str, int] = {}  # phone → row, in case `rows` did not come from read_caseload
    for start in range(0, len(read), BATCH):
        chunk = read[start : start + BATCH]
        valid: list[tuple[int, CaseRow]] = []
        for number, parsed in chunk:
            if isinstance(parsed, str):
                report.rejected.append((number, parsed))
                continue
            first = seen.setdefault(parsed.phone, number)
            if first != number:
                report.rejected.append((number, f"The same phone as row {first}."))
                continue
            valid.append((number, parsed))
        if valid:
            done = await db.run(_batch_work(worker, valid, now, link_valid))
            report.added += done.added
            report.updated += done.updated
            report.rejected.extend(done.rejected)
            if done.elsewhere:
                await db.run(_elsewhere_work(worker, done.elsewhere, source, now))
        if progress is not None:
            progress(start + len(chunk))
        await asyncio.sleep(pause)
    report.rejected.sort(key=lambda item: item[0])

    def record(connection: Connection) -> None:
        audit(
            connection,
            worker,
            "caseload.import",
            source,
            now,
            added=report.added,
            updated=report.updated,
            rejected=len(report.rejected),
        )

    await db.run(record)
    return report


@dataclass
class _Batch:
    added: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # Rows refused because the phone is another worker's case: (row, case id), for the audit.
    elsewhere: list[tuple[int, int]] = field(default_factory=list)


def _batch_work(
    worker: Member, valid: list[tuple[int, CaseRow]], now: datetime, link_valid: timedelta
) -> Callable[[Connection], _Batch]:
    def work(connection: Connection) -> _Batch:
        batch = _Batch()
        _import_batch(connection, worker, valid, now, batch, link_valid=link_valid)
        return batch

    return work


def _elsewhere_work(
    worker: Member, refused: list[tuple[int, int]], source: str, now: datetime
) -> Callable[[Connection], None]:
    """The audit log (which supervisors read) says whose case each refused phone is; the
    worker's report says only that it is in a caseload already."""

    def work(connection: Connection) -> None:
        audit(
            connection,
            worker,
            "caseload.refused",
            source,
            now,
            rows=[{"row": row, "case": case} for row, case in refused],
        )

    return work


def _import_batch(
    connection: Connection,
    worker: Member,
    valid: list[tuple[int, CaseRow]],
    now: datetime,
    report: _Batch,
    *,
    link_valid: timedelta,
) -> None:
    c = CASES.c
    existing = {
        row.phone: row
        for row in connection.execute(
            select(c.id, c.staff_id, c.phone, c.sms_contact_id).where(
                c.phone.in_([case.phone for _, case in valid])
            )
        )
    }
    numbered = {
        str(row.case_number): (int(row.id), str(row.phone))
        for row in connection.execute(
            select(c.id, c.case_number, c.phone).where(
                c.case_number.in_([case.case_number for _, case in valid if case.case_number])
            )
        )
    }
    inserts: list[CaseRow] = []
    updates: list[tuple[Any, CaseRow]] = []
    for number, case in valid:
        found = existing.get(case.phone)
        holder = numbered.get(case.case_number or "")
        if holder is not None and holder[1] != case.phone:
            report.rejected.append((number, "Refused: the case_number is another family's."))
            continue
        if case.case_number:
            numbered[case.case_number] = (0, case.phone)
        if found is None:
            inserts.append(case)
        elif found.staff_id == worker.id:
            updates.append((found, case))
        else:
            report.rejected.append((number, "Refused: the phone is already in a caseload."))
            report.elsewhere.append((number, int(found.id)))

    wanted = inserts + [case for found, case in updates if found.sms_contact_id is None]
    contacts = _sms_contacts(connection, wanted, now) if wanted else {}

    if inserts:
        connection.execute(
            insert(CASES),
            [
                {
                    "staff_id": worker.id,
                    "name": case.name,
                    "phone": case.phone,
                    "region": case.region,
                    "language": case.language,
                    "notes": case.notes,
                    "next_reassessment": case.next_reassessment,
                    "case_number": case.case_number,
                    "sms_contact_id": contacts[case.phone],
                    "telegram_contact_id": None,
                    "link_code": new_link_code(),
                    "link_expires_at": now + link_valid,
                    "created_at": now,
                    "updated_at": now,
                }
                for case in inserts
            ],
        )
        report.added += len(inserts)
    if updates:
        connection.execute(
            update(CASES)
            .where(c.id == bindparam("case_id"))
            .values(
                name=bindparam("new_name"),
                region=bindparam("new_region"),
                language=bindparam("new_language"),
                notes=bindparam("new_notes"),
                next_reassessment=bindparam("new_next_reassessment"),
                case_number=func.coalesce(bindparam("new_case_number"), c.case_number),
                sms_contact_id=bindparam("new_sms_contact_id"),
                updated_at=now,
            ),
            [
                {
                    "case_id": found.id,
                    "new_name": case.name,
                    "new_region": case.region,
                    "new_language": case.language,
                    "new_notes": case.notes,
                    "new_next_reassessment": case.next_reassessment,
                    "new_case_number": case.case_number,
                    "new_sms_contact_id": found.sms_contact_id or contacts[case.phone],
                }
                for found, case in updates
            ],
        )
        report.updated += len(updates)
    changed = [case.phone for case in inserts] + [case.phone for _, case in updates]
    if changed:
        reindex(
            connection,
            connection.execute(select(c.id, c.name, c.phone).where(c.phone.in_(changed))),
        )


def _sms_contacts(connection: Connection, cases: list[CaseRow], now: datetime) -> dict[str, int]:
    """The id of the SMS contact of each case's phone, made (without consent) where none is."""
    k = CONTACTS.c

    def lookup(phones: list[str]) -> dict[str, int]:
        return {
            address: int(contact_id)
            for contact_id, address in connection.execute(
                select(k.id, k.address).where(k.channel == "sms", k.address.in_(phones))
            )
        }

    ids = lookup([case.phone for case in cases])
    missing = [case for case in cases if case.phone not in ids]
    if missing:
        connection.execute(
            insert(CONTACTS),
            [
                {
                    "channel": "sms",
                    "address": case.phone,
                    "language": case.language,
                    "consent": False,
                    "opted_out": False,
                    "created_at": now,
                }
                for case in missing
            ],
        )
        ids.update(lookup([case.phone for case in missing]))
    # A family already writing on WhatsApp from this phone is the same person.
    on_whatsapp = connection.execute(
        select(k.id, k.address).where(
            k.channel == "whatsapp", k.address.in_([case.phone for case in cases])
        )
    ).all()
    for contact_id, address in on_whatsapp:
        people.link(connection, [int(contact_id), ids[address]], now)
    return ids


def new_link_code() -> str:
    """A code for the deep link `/start <code>`: 12 URL-safe characters (72 random bits)."""
    return secrets.token_urlsafe(9)


# ------------------------------------------------------------------------------------------
# Reading and linking


def new_link(
    connection: Connection, worker: Member, case_id: int, now: datetime, valid: timedelta
) -> str | None:
    """A fresh deep link for a case of `worker`'s (the old code stops working); None when the
    case is not theirs. Relinking a family's chat goes through its worker, never the family."""
    c = CASES.c
    code = new_link_code()
    done = connection.execute(
        update(CASES)
        .where(c.id == case_id, c.staff_id == worker.id)
        .values(link_code=code, link_expires_at=now + valid, link_used_at=None, updated_at=now)
    )
    return code if done.rowcount == 1 else None


def cases_of(connection: Connection, worker: Member) -> list[CaseSummary]:
    """The worker's own cases, by name."""
    c = CASES.c
    rows = connection.execute(
        select(
            c.id,
            c.name,
            c.phone,
            c.region,
            c.language,
            c.next_reassessment,
            c.sms_contact_id,
            c.telegram_contact_id,
        )
        .where(c.staff_id == worker.id)
        .order_by(c.name, c.id)
    )
    return [
        CaseSummary(
            id=row.id,
            name=row.name,
            phone=last_digits(row.phone),
            region=row.region,
            language=row.language,
            next_reassessment=row.next_reassessment,
            channels=tuple(
                channel
                for channel, linked in (
                    ("sms", row.sms_contact_id),
                    ("telegram", row.telegram_contact_id),
                )
                if linked is not None
            ),
        )
        for row in rows
    ]
