"""`komek assess` (one household, or a batch of JSON lines) and `komek params check`: the core's
public face for social workers and scripts."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn, TextIO

from bot.cli.common import EXIT_BAD_INPUT, config, in_database
from bot.cli.jsonout import dumps
from bot.parameters import default_store, load_store
from core.assess import assess_data
from core.errors import InputError
from core.parameters import ParameterStore


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"field {key!r} appears twice")
        result[key] = value
    return result


def parse_json(text: str, where: str = "input") -> Any:
    """Strict JSON: no duplicate keys, no NaN, decimals kept exact."""
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_no_duplicates,
        )
    except (ValueError, RecursionError) as exc:
        raise InputError(where, f"not valid JSON ({exc})") from None


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(path, "is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None


def _lines(path: str) -> Iterator[str]:
    if path == "-":
        yield from sys.stdin
        return
    try:
        with open(path, encoding="utf-8") as handle:
            yield from handle
    except UnicodeDecodeError:
        raise InputError(path, "is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None


def _store(args: argparse.Namespace) -> ParameterStore:
    """The files of `--parameters DIR` alone; otherwise the shipped files with the poverty lines
    staff added on the dashboard, as the server's conversations use them (when there is a
    database: an embedded one that was never made has none to add)."""
    directory = getattr(args, "parameters", None)
    if directory:
        return load_store(Path(directory))
    settings = config()
    if settings.sqlite:
        path = settings.sqlite_path()
        if path is None or not path.exists():
            return default_store()
    from bot.staff.poverty_lines import store_with_added  # noqa: PLC0415 - only with a database

    store: ParameterStore = in_database(store_with_added)
    return store


def cmd_assess(args: argparse.Namespace, out: TextIO) -> int:
    store = _store(args)
    if args.batch:
        return _assess_batch(args.batch, store, out)
    if args.file is None:
        raise InputError("FILE", "give a JSON file, or - for standard input")
    result = assess_data(parse_json(_read(args.file), args.file), store)
    if args.explain:
        from bot.i18n.explain import render_explanation  # noqa: PLC0415 - loads catalogs only when asked

        out.write(render_explanation(result, args.lang) + "\n")
    else:
        out.write(dumps(result.to_dict()) + "\n")
    return 0


def _assess_batch(path: str, store: ParameterStore, out: TextIO) -> int:
    """One household per line in, one result per line out; a bad line gets an error object and
    the rest go on. Streams: memory does not grow with the number of lines."""
    rejected = total = 0
    write = out.write
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        total += 1
        try:
            result = assess_data(parse_json(line, f"line {number}"), store)
        except InputError as exc:
            rejected += 1
            write(dumps({"line": number, "error": str(exc)}) + "\n")
            continue
        write(dumps(result.to_dict()) + "\n")
    if rejected:
        print(f"komek: {rejected} of {total} households rejected", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def cmd_params_check(args: argparse.Namespace, out: TextIO) -> int:
    store = _store(args)
    names = sorted(store.parameters)
    out.write(f"{len(names)} parameter files and the poverty-line table are valid\n")
    for region, table in sorted(store.poverty_lines.items()):
        quarters = ", ".join(
            f"{e.start.year}-Q{(e.start.month - 1) // 3 + 1}: {e.value}"
            for e in table.entries
            if e.value is not None
        )
        out.write(f"  {region}: {quarters}\n")
    return 0


def register(sub: Any) -> None:
    assess = sub.add_parser("assess", help="assess one household (JSON) or a batch (JSON lines)")
    assess.add_argument("file", nargs="?", help="household JSON file, or - for stdin")
    assess.add_argument("--batch", metavar="FILE.jsonl", help="one household per line")
    assess.add_argument("--explain", action="store_true", help="print an explanation to read")
    assess.add_argument("--lang", choices=("kk", "ru", "en"), default="ru")
    assess.add_argument(
        "--parameters", metavar="DIR", help="parameter directory (default: shipped)"
    )
    assess.set_defaults(handler=cmd_assess)

    params = sub.add_parser("params", help="parameter files")
    params_sub = params.add_subparsers(dest="params_command", required=True)
    check = params_sub.add_parser("check", help="validate the parameter files and list the lines")
    check.add_argument("--parameters", metavar="DIR", help="parameter directory (default: shipped)")
    check.set_defaults(handler=cmd_params_check)
