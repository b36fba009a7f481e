"""SMS segment counting follows the encoding rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.segments import GSM7, UCS2, cost


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", GSM7, 0, 0),
        ("Hello", GSM7, 5, 1),
        ("a" * 160, GSM7, 160, 1),
        ("a" * 161, GSM7, 161, 2),
        ("a" * 306, GSM7, 306, 2),
        ("a" * 307, GSM7, 307, 3),
        ("€" * 80, GSM7, 160, 1),
        ("€" * 81, GSM7, 162, 2),
        ("Сәлем", UCS2, 5, 1),
        ("ә" * 70, UCS2, 70, 1),
        ("ә" * 71, UCS2, 71, 2),
        ("ә" * 134, UCS2, 134, 2),
        ("ә" * 135, UCS2, 135, 3),
        ("a" * 69 + "😀", UCS2, 71, 2),
        ("37 060 ₸", UCS2, 8, 1),
    ],
)
def test_segments_follow_the_encoding(text: str, encoding: str, units: int, segments: int) -> None:
    result = cost(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)


def test_an_emoji_is_not_split_between_parts() -> None:
    # 66 units then a two-unit emoji: it moves whole to the second part.
    assert cost("ә" * 66 + "😀" + "ә" * 67).segments == 3


@given(st.text(max_size=500))
def test_segment_count_matches_the_limits(text: str) -> None:
    result = cost(text)
    single, part = (160, 153) if result.encoding == GSM7 else (70, 67)
    if result.units <= single:
        assert result.segments == (1 if text else 0)
    else:
        assert result.segments >= -(-result.units // part)
        assert result.segments <= -(-result.units // (part - 1))
