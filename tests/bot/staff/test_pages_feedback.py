"""The charts page's feedback: ratings by region and week (count, average, distribution) and the
newest comments; a supervisor sees their region's, an administrator everyone's, a social worker
none (403)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert

from bot.i18n.translator import Translator
from bot.storage.tables import FEEDBACK
from tests.bot.staff.workspace import NOW, Workspace, workspace

# (region, rating, comment, days ago): two weeks of Astana, one rating of Almaty.
RATINGS = (
    ("astana", 5, "Понятно и быстро <b>спасибо</b>", 0),
    ("astana", 4, None, 0),
    ("astana", 2, "Долго ждали в очереди", 8),
    ("almaty", 1, "Ничего не понял", 1),
)


@pytest.fixture
async def ws(tmp_path: Path, translator: Translator) -> AsyncIterator[Workspace]:
    async with workspace(tmp_path, translator) as found:

        def seed(connection: Connection) -> None:
            for region, rating, comment, days in RATINGS:
                connection.execute(
                    insert(FEEDBACK).values(
                        kind="visit" if comment and "очереди" in comment else "result",
                        region=region,
                        channel="sms",
                        rating=rating,
                        comment=comment,
                        created_at=NOW - timedelta(days=days),
                    )
                )

        await found.run(seed)
        yield found


def feedback_part(text: str) -> str:
    return text.split('id="feedback-title"', 1)[1]


def region_rows(text: str) -> list[list[str]]:
    """The rows of the table by region and week, as their cells' texts."""
    table = feedback_part(text).split('id="feedback-regions-title"', 1)[1].split("</table>")[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


async def test_a_supervisor_sees_the_figures_and_comments_of_their_region(ws: Workspace) -> None:
    sara = await ws.signed_in("sara")  # Astana
    page = await sara.get("/staff/charts")
    assert page.status == 200
    part = feedback_part(page.text)
    # Week from, region, ratings, average, then how many gave 1, 2, 3, 4, 5.
    assert region_rows(page.text) == [
        ["23.11", "Astana", "2", "4.5", "0", "0", "0", "1", "1"],
        ["16.11", "Astana", "1", "2", "0", "1", "0", "0", "0"],
    ]
    assert "Понятно и быстро &lt;b&gt;спасибо&lt;/b&gt;" in part  # a comment is text, escaped
    assert "Долго ждали в очереди" in part and "After a visit" in part
    assert "Ничего не понял" not in page.text and "Almaty" not in part
    # The chart of ratings per week, with its table.
    chart = part.split('id="feedback-weekly"', 1)[1]
    assert "<svg" in chart and "23.11 · 5: 1" in chart


async def test_an_administrator_sees_every_region(ws: Workspace) -> None:
    root = await ws.signed_in("root")
    page = await root.get("/staff/charts")
    rows = region_rows(page.text)
    assert ["23.11", "Almaty city", "1", "1", "1", "0", "0", "0", "0"] in rows
    assert len(rows) == 3
    assert "Ничего не понял" in page.text and "Понятно и быстро" in page.text


async def test_the_feedback_is_translated(ws: Workspace) -> None:
    marat = await ws.signed_in("marat")  # Almaty
    await marat.post("/staff/language", {"language": "ru", "next": "/staff/charts"})
    page = await marat.get("/staff/charts")
    assert "Отзывы семей" in page.text and "оценка 1 из 5" in page.text
    assert region_rows(page.text) == [
        ["23.11", "Алматы (город)", "1", "1", "1", "0", "0", "0", "0"]
    ]
    assert "Понятно и быстро" not in page.text


@pytest.mark.parametrize("username", ["aigerim", "dana"])
async def test_a_social_worker_may_not_see_the_feedback(ws: Workspace, username: str) -> None:
    worker = await ws.signed_in(username)
    page = await worker.get("/staff/charts")
    assert page.status == 403
    assert "Понятно и быстро" not in page.text
