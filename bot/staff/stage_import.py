"""A spreadsheet of stage changes exported from the official system: read as the caseload is (CSV
in UTF-8 or Windows-1251 with `,` `;` or tab, or XLSX; `bot.staff.caseload`), each row the case
number, the stage, its date, a note and the stage's fields, and recorded a batch of rows to a
transaction, each change with its notice (`bot.staff.stages.record_change`). Each rejected row
keeps its reason as a code (`REASONS`), which the pages say in the member's language."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from bot.parameters import default_stages
from bot.staff.accounts import Member, audit
from bot.staff.caseload import CaseloadError, Rows, blank_cell, cell_text, csv_rows, xlsx_rows
from bot.staff.stages import StageError, english, quoted, read_change, record_change
from bot.storage.database import Database
from bot.storage.tables import CASES
from core.stages import Stages

BATCH = 100
# Between two batches the import steps aside for a moment, so that conversations go on.
PAUSE = 0.005

# Header names (lower-cased) of a stage-changes file -> the field they fill.
COLUMNS: dict[str, str] = {
    "case_number": "case_number", "case number": "case_number", "номер дела": "case_number",
    "№ дела": "case_number", "іс нөмірі": "case_number",
    "stage": "stage", "этап": "stage", "статус": "stage", "кезең": "stage",
    "date": "date", "дата": "date", "күні": "date",
    "note": "note", "примечание": "note", "ескертпе": "note",
    "amount": "amount", "сумма": "amount", "сомасы": "amount",
    "months": "months", "месяцев": "months", "айлар": "months",
    "category": "category", "вид помощи": "category", "санаты": "category",
    "reason": "reason", "причина": "reason", "себебі": "reason",
}  # fmt: skip
REQUIRED = ("case_number", "stage", "date")

# ------------------------------------------------------------------------------------------
# A spreadsheet of changes


@dataclass(frozen=True, slots=True)
class StageRow:
    case_number: str
    values: dict[str, Any]  # the row's cells by field name


@dataclass
class StagesReport:
    changed: int = 0
    recorded: int = 0  # rows that repeat a change recorded before
    rejected: list[tuple[int, str, dict[str, str | int]]] = field(default_factory=list)

    def english(self) -> list[dict[str, Any]]:
        return [
            {"row": row, "code": code, "reason": english(code, params)}
            for row, code, params in self.rejected
        ]


def read_stage_changes(filename: str, data: bytes) -> Iterator[tuple[int, StageRow]]:
    """The rows of a .csv (UTF-8 or Windows-1251; ',' ';' or tab) or .xlsx file of stage changes,
    each with its row number (the header is row 1). CaseloadError for a file that cannot be read
    or lacks the case number, stage or date column."""
    lowered = filename.lower()
    if lowered.endswith(".csv"):
        cells = csv_rows(data)
    elif lowered.endswith(".xlsx"):
        cells = xlsx_rows(data)
    else:
        raise CaseloadError(f"{filename}: stage changes come as .csv or .xlsx")
    try:
        header = next(cells, None)
        if header is None:
            raise CaseloadError(f"{filename}: the file is empty")
        positions = _columns(filename, header)
    except BaseException:
        cells.close()
        raise
    return _rows(cells, positions)


def _columns(filename: str, header: Sequence[object]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for i, title in enumerate(header):
        key = COLUMNS.get(" ".join(cell_text(title).lower().split()))
        if key is None:
            continue
        if key in positions:
            raise CaseloadError(f"{filename}: the {key} column appears twice")
        positions[key] = i
    missing = [key for key in REQUIRED if key not in positions]
    if missing:
        raise CaseloadError(
            f"{filename}: the header (row 1) has no {' or '.join(missing)} column"
            " (case_number, stage and date are required)"
        )
    return positions


def _rows(cells: Rows, positions: dict[str, int]) -> Iterator[tuple[int, StageRow]]:
    try:
        for number, values in enumerate(cells, 2):
            if all(blank_cell(v) for v in values):
                continue
            row = {key: values[i] if i < len(values) else None for key, i in positions.items()}
            yield number, StageRow(cell_text(row.get("case_number")), row)
    finally:
        cells.close()


async def import_stage_changes(
    db: Database,
    worker: Member,
    rows: Iterable[tuple[int, StageRow]],
    now: datetime,
    today: date,
    *,
    source: str = "stages",
    progress: Callable[[int], None] | None = None,
    pause: float = PAUSE,
) -> StagesReport:
    """Record each valid row as a change of stage of the worker's case with that number,
    `BATCH` rows to a transaction (each change with its notice); one audit entry records the
    counts. A batch's work is a function of rows already read, so the database may run it
    again."""
    stages = default_stages()
    read = await asyncio.to_thread(list, rows)
    report = StagesReport()
    for start in range(0, len(read), BATCH):
        chunk = read[start : start + BATCH]
        done = await db.run(_batch_work(worker, stages, chunk, now, today))
        report.changed += done.changed
        report.recorded += done.recorded
        report.rejected.extend(done.rejected)
        if progress is not None:
            progress(start + len(chunk))
        await asyncio.sleep(pause)
    report.rejected.sort(key=lambda item: item[0])

    def record(connection: Connection) -> None:
        audit(
            connection,
            worker,
            "case.stage.import",
            source,
            now,
            changed=report.changed,
            recorded=report.recorded,
            rejected=len(report.rejected),
        )

    await db.run(record)
    return report


def _batch_work(
    worker: Member,
    stages: Stages,
    chunk: list[tuple[int, StageRow]],
    now: datetime,
    today: date,
) -> Callable[[Connection], StagesReport]:
    def work(connection: Connection) -> StagesReport:
        batch = StagesReport()
        c = CASES.c
        numbers = sorted({row.case_number for _, row in chunk if row.case_number})
        cases = {
            str(found.case_number): found
            for found in connection.execute(
                select(
                    c.id, c.case_number, c.staff_id, c.sms_contact_id, c.telegram_contact_id
                ).where(c.case_number.in_(numbers))
            )
        }
        for number, row in chunk:
            try:
                if not row.case_number:
                    raise StageError("number_empty")
                case = cases.get(row.case_number)
                if case is None:
                    raise StageError("number_unknown", value=quoted(row.case_number))
                if worker.role != "worker" or case.staff_id != worker.id:
                    raise StageError("not_yours")
                change = read_change(stages, row.values, today)
                if record_change(connection, worker, case, change, now, source="import") is None:
                    batch.recorded += 1
                else:
                    batch.changed += 1
            except StageError as problem:
                batch.rejected.append((number, problem.code, problem.params))
        return batch

    return work
