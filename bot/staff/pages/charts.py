"""The charts page (supervisors and administrators): assessments per week by outcome, language
and channel; the path from a first message to a visit; delivery per campaign; visits per office;
families' ratings of a result or a visit, by region and week, with their newest comments.
Each is an SVG drawn here (no script, no inline style: shapes carry classes the stylesheet
colours) with the same figures as a table beside it for screen readers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from bot.staff import reports
from bot.staff.inbox import Figures
from bot.staff.inbox import figures as inbox_figures
from bot.staff.pages import labels
from bot.staff.pages.web import Page, view

ROLES = ("supervisor", "admin")
# The stylesheet's colours c0..c5: green, red, amber, blue, violet, grey.
DELIVERY_COLOURS = (0, 3, 1, 5, 2)  # delivered, sent, failed, skipped, queued
VISIT_COLOURS = (0, 2, 3, 5)  # attended, no-show, booked, cancelled
CHANNEL_COLOURS = (3, 5, 4)  # Telegram, SMS, web chat
WIDTH = 560


@dataclass
class Chart:
    """An SVG's shapes: rectangles and texts in a `width` × `height` box, and its legend."""

    width: int
    height: int
    rects: list[dict[str, Any]] = field(default_factory=list)
    texts: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (class, name)


COLUMNS_WIDTH = 360  # three side by side on a laptop: text stays readable


Format = Callable[[int], str]


def columns(
    groups: list[str],
    keys: list[tuple[str, str]],
    values: list[dict[str, int]],
    *,
    number: Format = str,
    palette: tuple[int, ...] = (0, 1, 2, 3, 4, 5),
    height: int = 240,
) -> Chart:
    """Stacked columns: one per group (a week), a segment per key (coloured `palette[k]`)."""
    left, bottom, top, width = 52, 28, 10, COLUMNS_WIDTH
    chart = Chart(width, height)
    chart.legend = [(f"c{palette[i]}", name) for i, (_, name) in enumerate(keys)]
    highest = max([sum(v.values()) for v in values] + [1])
    scale = (height - bottom - top) / highest
    step = (width - left - 8) / max(1, len(groups))
    for tick in _ticks(highest):
        y = height - bottom - tick * scale
        chart.lines.append({"x1": left, "y1": y, "x2": width - 8, "y2": y, "cls": "grid-line"})
        chart.texts.append({"x": left - 4, "y": y + 4, "text": number(tick), "anchor": "end"})
    for i, (group, counts) in enumerate(zip(groups, values, strict=True)):
        x = left + i * step + step * 0.15
        y = height - bottom
        for k, (key, name) in enumerate(keys):
            n = counts.get(key, 0)
            if not n:
                continue
            h = n * scale
            y -= h
            chart.rects.append(
                {
                    "x": x,
                    "y": y,
                    "w": step * 0.7,
                    "h": h,
                    "cls": f"c{palette[k]}",
                    "title": f"{group} · {name}: {n}",
                }
            )
        if len(groups) <= 6 or (len(groups) - 1 - i) % 2 == 0:  # every other, the last too
            chart.texts.append(
                {"x": x + step * 0.35, "y": height - bottom + 16, "text": group, "anchor": "middle"}
            )
    chart.lines.append(
        {"x1": left, "y1": height - bottom, "x2": width - 8, "y2": height - bottom, "cls": "axis"}
    )
    return chart


def bars(
    rows: list[str],
    keys: list[tuple[str, str]],
    values: list[dict[str, int]],
    *,
    number: Format = str,
    palette: tuple[int, ...] = (0, 1, 2, 3, 4, 5),
) -> Chart:
    """Stacked horizontal bars: one per row (a campaign, an office), a segment per key."""
    left, row_height, gap = 200, 24, 10
    height = max(1, len(rows)) * (row_height + gap) + 10
    chart = Chart(WIDTH, height)
    chart.legend = [(f"c{palette[i]}", name) for i, (_, name) in enumerate(keys)]
    widest = max([sum(v.values()) for v in values] + [1])
    scale = (WIDTH - left - 60) / widest
    for i, (row, counts) in enumerate(zip(rows, values, strict=True)):
        y = 5 + i * (row_height + gap)
        chart.texts.append(
            {"x": left - 6, "y": y + row_height * 0.7, "text": _short(row), "anchor": "end"}
        )
        x = float(left)
        for k, (key, name) in enumerate(keys):
            n = counts.get(key, 0)
            if not n:
                continue
            w = n * scale
            chart.rects.append(
                {
                    "x": x,
                    "y": y,
                    "w": w,
                    "h": row_height,
                    "cls": f"c{palette[k]}",
                    "title": f"{row} · {name}: {n}",
                }
            )
            x += w
        chart.texts.append(
            {
                "x": x + 4,
                "y": y + row_height * 0.7,
                "text": number(sum(counts.values())),
                "anchor": "start",
            }
        )
    return chart


def _short(text: str, limit: int = 20) -> str:
    # 20 letters of Cyrillic at 14px fill the 194 units left of a bar; 24 ran off the left edge.
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ticks(highest: int) -> list[int]:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000):
        if highest / step <= 5:
            return list(range(0, highest + 1, step))
    return [0, highest]


def _week_label(page: Page, week: date) -> str:
    return page.day(week, "d.MM")


async def charts_page(page: Page) -> web.StreamResponse:
    member, now = page.member, page.now
    today = reports.today_in_almaty(now)

    def work(connection: Connection) -> dict[str, Any]:
        return {
            "weekly": reports.assessments_per_week(connection, today),
            "funnel": reports.funnel(connection, now),
            "campaigns": reports.delivery_per_campaign(connection, member),
            "offices": reports.visits_per_office(connection, member, today),
            "feedback": reports.feedback(connection, member, today),
            "inbox": inbox_figures(connection, member, now),
        }

    found = await page.run(work)
    weekly: dict[str, reports.Series] = found["weekly"]
    weeks = weekly["outcome"].weeks
    week_labels = [_week_label(page, w) for w in weeks]

    def by(
        name: str, keys: list[tuple[str, str]], palette: tuple[int, ...] = (0, 1, 2)
    ) -> dict[str, Any]:
        series = weekly[name]
        values = [{key: series.counts.get(key, {}).get(w, 0) for key, _ in keys} for w in weeks]
        chart = columns(week_labels, keys, values, number=page.number, palette=palette)
        return {"chart": chart, "keys": keys, "values": values}

    outcome_keys = [
        (k, page.name(labels.OUTCOMES, k)) for k in ("eligible", "ineligible", "needs_review")
    ]
    language_keys = [(k, page.name(labels.LANGUAGES, k)) for k in ("kk", "ru", "en")]
    channel_keys = [(k, page.name(labels.CHANNELS, k)) for k in ("telegram", "sms", "web")]
    funnel_counts: dict[str, int] = found["funnel"]
    funnel_names = {
        "started": page.gettext("Began a conversation"),
        "consented": page.gettext("Gave consent"),
        "result": page.gettext("Reached a result"),
        "booked": page.gettext("Booked a visit"),
        "attended": page.gettext("Came to the visit"),
    }
    funnel_rows = [str(funnel_names[k]) for k in reports.FUNNEL]
    funnel_chart = bars(
        funnel_rows,
        [("n", str(page.gettext("People")))],
        [{"n": funnel_counts[k]} for k in reports.FUNNEL],
        number=page.number,
    )
    delivery_keys = [
        ("delivered", page.pgettext("outbox", "Delivered")),
        ("sent", page.pgettext("outbox", "Sent")),
        ("failed", page.pgettext("outbox", "Failed")),
        ("skipped", page.gettext("Skipped")),
        ("queued", page.pgettext("outbox", "Queued")),
    ]
    delivery_keys_text = [(k, str(v)) for k, v in delivery_keys]
    campaign_rows = [c.campaign.name for c in found["campaigns"]]
    campaign_values = [c.counts for c in found["campaigns"]]
    visit_keys = [
        (k, page.name(labels.VISIT_STATUSES, k))
        for k in ("attended", "no_show", "booked", "cancelled")
    ]
    office_rows = [o.name[page.language] for o, _ in found["offices"]]
    office_values = [counts for _, counts in found["offices"]]
    return page.render(
        "charts.html",
        week_labels=week_labels,
        outcome=by("outcome", outcome_keys),
        language=by("language", language_keys),
        channel=by("channel", channel_keys, CHANNEL_COLOURS),
        funnel={
            "chart": funnel_chart,
            "rows": funnel_rows,
            "counts": [funnel_counts[k] for k in reports.FUNNEL],
        },
        delivery={
            "chart": bars(
                campaign_rows,
                delivery_keys_text,
                campaign_values,
                number=page.number,
                palette=DELIVERY_COLOURS,
            ),
            "rows": campaign_rows,
            "keys": delivery_keys_text,
            "values": campaign_values,
        },
        visits={
            "chart": bars(
                office_rows, visit_keys, office_values, number=page.number, palette=VISIT_COLOURS
            ),
            "rows": office_rows,
            "keys": visit_keys,
            "values": office_values,
        },
        funnel_days=reports.FUNNEL_DAYS,
        visit_days=reports.VISIT_DAYS,
        feedback=_feedback(page, found["feedback"], week_labels),
        inbox=_inbox(page, found["inbox"]),
    )


RATING_COLOURS = (1, 2, 5, 3, 0)  # 1 red, 2 amber, 3 grey, 4 blue, 5 green


def _feedback(page: Page, found: reports.Feedback, week_labels: list[str]) -> dict[str, Any]:
    """Ratings per week as a chart; per region and week, and the newest comments, as tables."""
    keys = [(str(r), page.number(r)) for r in reports.RATINGS]
    values = found.per_week()
    chart = columns(week_labels, keys, values, number=page.number, palette=RATING_COLOURS)
    rows = [
        {
            "week": _week_label(page, row.week),
            "region": page.name(labels.REGIONS, row.region),
            "total": page.number(row.total),
            "average": page.number(row.average),
            "counts": [page.number(row.counts[r]) for r in reports.RATINGS],
        }
        for row in found.by_region
    ]
    comments = [
        {
            "at": page.moment(c.at),
            "region": page.name(labels.REGIONS, c.region),
            "kind": page.name(labels.FEEDBACK_KINDS, c.kind),
            "rating": c.rating,
            "text": c.text,
        }
        for c in found.comments
    ]
    return {
        "weekly": {"chart": chart, "keys": keys, "values": values},
        "rows": rows,
        "comments": comments,
        "ratings": [page.number(r) for r in reports.RATINGS],
    }


def _inbox(page: Page, figures: Figures) -> dict[str, Any]:
    """A person when the bot is not enough: conversations handed over per week (a chart and its
    table, with the median time to a first answer) and the top reasons."""
    rows = [page.day(monday.date(), "d MMM") for monday, _, _ in figures.weeks]
    keys = [("n", str(page.gettext("Handed over")))]
    values = [{"n": n} for _, n, _ in figures.weeks]
    return {
        "chart": bars(rows, keys, values, number=page.number, palette=(1,)),
        "rows": rows,
        "weeks": figures.weeks,
        "reasons": figures.reasons,
        "waiting": figures.waiting,
    }


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/charts", view(charts_page, roles=ROLES))
