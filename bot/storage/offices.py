"""Offices (career centres, village akims) in the database: importing a file of them, reading
them back as `core.offices.Office` records, and the statuses of a visit booked at one."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import Connection, insert, select, update

from bot.storage.tables import OFFICES
from core.offices import Office, OfficeError, parse_office

BOOKED, CANCELLED, ATTENDED, NO_SHOW = "booked", "cancelled", "attended", "no_show"


def load_offices(connection: Connection, *, active_only: bool = True) -> list[Office]:
    o = OFFICES.c
    query = select(o.record).order_by(o.region, o.id)
    if active_only:
        query = query.where(o.active.is_(True))
    return [parse_office(row.record) for row in connection.execute(query)]


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (where, why)


def read_office_records(name: str, data: bytes) -> list[tuple[str, Mapping[str, Any]]]:
    """The records of an office file (YAML: a list, or `offices:` with one; CSV: a header row
    with name_kk, name_ru, name_en, address_kk, ...), each with where it was in the file.
    CSV may be UTF-8 (with or without BOM) or Windows-1251, as Excel writes it."""
    if name.lower().endswith((".yaml", ".yml")):
        try:
            loaded = yaml.safe_load(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise OfficeError(f"{name}: not readable YAML: {exc}") from None
        if isinstance(loaded, Mapping):
            loaded = loaded.get("offices")
        if not isinstance(loaded, list):
            raise OfficeError(f"{name}: expected a list of offices")
        records: list[tuple[str, Mapping[str, Any]]] = []
        for n, item in enumerate(loaded, 1):
            if not isinstance(item, Mapping):
                raise OfficeError(f"{name}: office {n} is not a mapping of fields")
            records.append((f"{name}: office {n}", item))
        return records
    if name.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1251")
        header = text.split("\n", 1)[0]
        # Excel writes ';' where the decimal comma is the custom (a Russian or Kazakh locale).
        delimiter = max(",;\t", key=header.count)
        rows = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        # line_num is the file line a record ends on (blank lines and quoted line breaks count).
        return [(f"{name}: line {rows.line_num}", _from_csv(row)) for row in rows]
    raise OfficeError(f"{name}: offices come as .yaml or .csv")


def _from_csv(row: Mapping[str, str | None]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for raw, value in row.items():
        if raw is None or value is None or value == "":
            continue
        column = raw.strip()
        base, _, language = column.rpartition("_")
        if base in ("name", "address") and language in ("kk", "ru", "en"):
            record.setdefault(base, {})[language] = value
        elif column == "example":
            record[column] = value.strip().lower() in ("1", "true", "yes")
        else:
            record[column] = value
    return record


def import_offices(
    connection: Connection, records: Iterable[tuple[str, Mapping[str, Any]]], now: datetime
) -> ImportReport:
    """Add or update each valid office; report the others with the reason. Offices not in the
    file are left as they are."""
    report = ImportReport()
    seen: set[str] = set()
    o = OFFICES.c
    for where, record in records:
        try:
            office = parse_office(record)
        except OfficeError as exc:
            report.rejected.append((where, str(exc)))
            continue
        if office.id in seen:
            report.rejected.append((where, f"id {office.id} appears twice in the file"))
            continue
        seen.add(office.id)
        values = {
            "region": office.region,
            "record": office.to_record(),
            "active": True,
            "updated_at": now,
        }
        exists = connection.execute(select(o.id).where(o.id == office.id)).first()
        if exists is None:
            connection.execute(insert(OFFICES).values(id=office.id, **values))
            report.created.append(office.id)
        else:
            connection.execute(update(OFFICES).where(o.id == office.id).values(values))
            report.updated.append(office.id)
    return report


def office_of(connection: Connection, office_id: str) -> Office:
    """One office, active or not (a booked visit still shows its office)."""
    o = OFFICES.c
    record = connection.execute(select(o.record).where(o.id == office_id)).scalar_one()
    return parse_office(record)
