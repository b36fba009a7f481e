"""JSON output that keeps money as written: Decimal amounts print with their two decimals
(`81180.00`), which `json` would turn into floats. Written by hand because it is on the batch
path: one encoder per value would cost more than the assessment itself."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any


def dumps(value: Any) -> str:
    """Compact, UTF-8 JSON; Decimals as numbers with their exponent kept."""
    parts: list[str] = []
    _write(value, parts.append)
    return "".join(parts)


def _write(value: Any, put: Any) -> None:
    kind = type(value)
    if kind is str:
        put(encode_basestring(value))
    elif value is None:
        put("null")
    elif value is True:
        put("true")
    elif value is False:
        put("false")
    elif kind is int:
        put(str(value))
    elif kind is Decimal:
        put(format(value, "f"))
    elif kind is dict:
        put("{")
        first = True
        for key, item in value.items():
            if not first:
                put(", ")
            first = False
            put(encode_basestring(str(key)))
            put(": ")
            _write(item, put)
        put("}")
    elif kind is list or kind is tuple:
        put("[")
        for n, item in enumerate(value):
            if n:
                put(", ")
            _write(item, put)
        put("]")
    elif isinstance(value, date):
        put(encode_basestring(value.isoformat()))
    elif kind is float:
        put(repr(value))
    else:
        raise TypeError(f"cannot write {kind.__name__} as JSON")
