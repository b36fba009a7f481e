"""JSON output that keeps money as written: Decimal amounts print with their two decimals
(`81180.00`), which `json` would turn into floats."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any


def dumps(value: Any) -> str:
    """Compact, UTF-8 JSON; Decimals as numbers with their exponent kept."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, Decimal):
        out.append(format(value, "f"))
    elif isinstance(value, dict):
        out.append("{")
        for n, (key, item) in enumerate(value.items()):
            if n:
                out.append(", ")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(": ")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for n, item in enumerate(value):
            if n:
                out.append(", ")
            _write(item, out)
        out.append("]")
    elif isinstance(value, date):
        out.append(json.dumps(value.isoformat()))
    else:
        out.append(json.dumps(value, ensure_ascii=False))
