"""Tables the staff pages hand out as files: CSV as Excel opens it (UTF-8 with a BOM, `;`
between columns, as a Kazakh or Russian Excel expects) and XLSX.

A cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage return) would be taken by a
spreadsheet for a formula: a family's name or a note could then run one on the worker's
computer. Such text is written with a `'` before it (OWASP's advice for CSV injection), in
both formats.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | date | datetime | None


def neutral(value: Cell) -> Cell:
    """`value` as a cell that cannot be a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutral(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutral(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Komek")
    sheet.append([neutral(h) for h in header])
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(value: Cell) -> Cell:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel keeps no time zone: the time as shown
    return neutral(value)
