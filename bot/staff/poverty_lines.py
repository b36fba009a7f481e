"""Regional poverty lines as staff keep them: the table of region × quarter (published, with its
source, or estimated by the core), and adding a quarter's published line.

Akimats publish each region's line every quarter (Social Code art. 120 p.4). A line added here is
stored in the database with its source and merged into the parameters the core reads
(`bot.parameters.with_lines`): every assessment of that region and quarter uses it from then on.
A quarter already in the shipped table (`core/parameters/poverty_lines.yaml`) or added before is
refused: a published line does not change; a wrong one is corrected in the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, insert, select

from bot.parameters import AddedLine, default_store, with_lines
from bot.staff.accounts import Member, audit
from bot.storage.tables import POVERTY_LINES
from core.assess import assess_data
from core.dates import quarter_start
from core.errors import CoreError
from core.parameters import ParameterStore
from core.regions import REGIONS

MAX_LINE = 1_000_000  # tenge a month: far above any line, far below a typing slip's zeros
QUARTERS_SHOWN = 6


class LineError(ValueError):
    """A line that cannot be added; the message is a key of the page's texts."""


def added_lines(connection: Connection) -> list[AddedLine]:
    p = POVERTY_LINES.c
    return [
        AddedLine(row.region, row.quarter, Decimal(row.value), row.source_title, row.source_url)
        for row in connection.execute(
            select(p.region, p.quarter, p.value, p.source_title, p.source_url).order_by(p.id)
        )
    ]


def may_edit(member: Member, region: str) -> bool:
    return member.role == "admin" or (member.role == "supervisor" and member.region == region)


def add_line(
    connection: Connection,
    member: Member,
    store: ParameterStore,
    *,
    region: str,
    quarter: date,
    value: int,
    title: str,
    url: str,
    now: datetime,
) -> None:
    """Store a quarter's published line (audited); `store` is what the core reads now."""
    if region not in REGIONS:
        raise LineError("region")
    if not may_edit(member, region):
        raise PermissionError(region)
    if quarter != quarter_start(quarter):
        raise LineError("quarter")
    if not 0 < value <= MAX_LINE:
        raise LineError("value")
    title = " ".join(title.split())
    if not title or len(title) > 300:
        raise LineError("title")
    url = url.strip()
    if not url.startswith(("http://", "https://")) or len(url) > 500 or " " in url:
        raise LineError("url")
    if store.published_poverty_line(region, quarter) is not None:
        raise LineError("exists")
    p = POVERTY_LINES.c
    taken = connection.execute(select(p.id).where(p.region == region, p.quarter == quarter)).first()
    if taken is not None:
        raise LineError("exists")
    connection.execute(
        insert(POVERTY_LINES).values(
            region=region,
            quarter=quarter,
            value=value,
            source_title=title,
            source_url=url,
            staff_id=member.id,
            created_at=now,
        )
    )
    audit(
        connection,
        member,
        "poverty_line.add",
        f"{region} {quarter}",
        now,
        value=value,
        source=url,
    )


@dataclass(frozen=True, slots=True)
class Cell:
    quarter: date
    value: Decimal | None  # None: the core has no rule for that date
    published: bool
    title: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class RegionRow:
    region: str
    cells: list[Cell]
    state: str  # "published" (this quarter), "missing" (not yet), "stale" (none for two or more)


def quarters_around(today: date, before: int = QUARTERS_SHOWN - 2) -> list[date]:
    """The quarters the table shows: a few before this one, this one and the next."""
    current = quarter_start(today)
    found = []
    year, month = current.year, current.month
    for _ in range(before):
        month -= 3
        if month < 1:
            year, month = year - 1, month + 12
        found.append(date(year, month, 1))
    nxt = date(current.year + (current.month == 10), (current.month + 2) % 12 + 1, 1)
    return [*reversed(found), current, nxt]


def line_on(store: ParameterStore, region: str, day: date) -> Cell:
    """The line an assessment in `region` on `day` uses, as the core computes it (through its
    public contract, so that an estimate here is the one every result shows)."""
    published = store.published_poverty_line(region, day)
    if published is not None and published.value is not None:
        source = published.references[0]
        return Cell(quarter_start(day), published.value, True, source.title, source.url)
    household = {"date": day.isoformat(), "region": region, "members": [{"age": 30}]}
    try:
        result = assess_data(household, store)
    except CoreError:
        return Cell(quarter_start(day), None, False, None, None)
    return Cell(quarter_start(day), result.poverty_line, False, None, None)


def table(
    store: ParameterStore, today: date, regions: tuple[str, ...] = REGIONS
) -> list[RegionRow]:
    shown = quarters_around(today)
    current = quarter_start(today)
    previous = shown[-3]
    rows = []
    for region in regions:
        cells = [line_on(store, region, quarter) for quarter in shown]
        if store.published_poverty_line(region, current) is not None:
            state = "published"
        elif store.published_poverty_line(region, previous) is not None:
            state = "missing"
        else:
            state = "stale"
        rows.append(RegionRow(region, cells, state))
    return rows


def unpublished(store: ParameterStore, today: date, regions: tuple[str, ...]) -> list[str]:
    """The regions whose line for this quarter is not published yet (the core estimates it)."""
    current = quarter_start(today)
    return [r for r in regions if store.published_poverty_line(r, current) is None]


def regions_of(member: Member) -> tuple[str, ...]:
    if member.role == "admin" or member.region is None:
        return REGIONS
    return (member.region,)


def store_with_added(connection: Connection) -> ParameterStore:
    """The parameters the core reads: the shipped files with the lines staff added merged in.
    The server, its conversations and `komek assess` all read this one."""
    return with_lines(default_store(), added_lines(connection))


def is_current(store: ParameterStore, lines: list[AddedLine]) -> bool:
    """Whether `store` already holds every line staff added (lines are never taken back)."""
    return all(store.published_poverty_line(line.region, line.quarter) for line in lines)
