"""The `komek` command: `assess` for social workers and scripts, staff and operator commands.

Exit codes: 0 success, 2 bad input (one line on stderr naming the field), 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn, TextIO

from bot.jsonout import dumps
from bot.parameters import default_store, load_store
from core.assess import assess_data
from core.errors import CoreError, InputError, ParameterError
from core.parameters import ParameterStore

EXIT_BAD_INPUT = 2


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
    directory = getattr(args, "parameters", None)
    return load_store(Path(directory)) if directory else default_store()


def cmd_assess(args: argparse.Namespace, out: TextIO) -> int:
    store = _store(args)
    if args.batch:
        return _assess_batch(args.batch, store, out)
    if args.file is None:
        raise InputError("FILE", "give a JSON file, or - for standard input")
    result = assess_data(parse_json(_read(args.file), args.file), store)
    if args.explain:
        from bot.explain import render_explanation  # noqa: PLC0415 - loads catalogs only when asked

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


def cmd_chat(args: argparse.Namespace, out: TextIO) -> int:
    from bot.console import chat  # noqa: PLC0415 - loads the catalogs only when asked

    return chat(args.lang, args.sms, sys.stdin, out, _config().database_url)


def _config() -> Any:
    from bot.config import ConfigError, load  # noqa: PLC0415

    try:
        return load()
    except ConfigError as exc:
        raise SystemExit(f"komek: configuration: {exc}") from None


def cmd_db_upgrade(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio  # noqa: PLC0415

    from bot.storage.db import make_engine, upgrade  # noqa: PLC0415

    config = _config()

    async def migrate() -> None:
        engine = make_engine(config.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    out.write("database is at the newest schema\n")
    return 0


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    import logging  # noqa: PLC0415

    from aiohttp import web  # noqa: PLC0415

    from bot.server import PrivateAccessLogger, create_app  # noqa: PLC0415

    config = _config()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    out.write(f"Komek web chat: http://{config.host}:{config.port}/\n")
    out.flush()
    web.run_app(
        create_app(config),
        host=config.host,
        port=config.port,
        print=None,
        access_log_class=PrivateAccessLogger,
    )
    return 0


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    cmd_db_upgrade(args, out)
    return cmd_serve(args, out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="komek", description="Komek: targeted social assistance (TSA) assistant"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    assess = sub.add_parser("assess", help="assess one household (JSON) or a batch (JSON lines)")
    assess.add_argument("file", nargs="?", help="household JSON file, or - for stdin")
    assess.add_argument("--batch", metavar="FILE.jsonl", help="one household per line")
    assess.add_argument("--explain", action="store_true", help="print an explanation to read")
    assess.add_argument("--lang", choices=("kk", "ru", "en"), default="ru")
    assess.add_argument(
        "--parameters", metavar="DIR", help="parameter directory (default: shipped)"
    )
    assess.set_defaults(handler=cmd_assess)

    chat = sub.add_parser("chat", help="talk to Komek in the terminal")
    chat.add_argument("--lang", choices=("kk", "ru", "en"), help="skip the language question")
    chat.add_argument("--sms", action="store_true", help="show it as an SMS user sees it")
    chat.set_defaults(handler=cmd_chat)

    serve = sub.add_parser("serve", help="run the server (web chat, webhooks, dashboard)")
    serve.set_defaults(handler=cmd_serve)
    run = sub.add_parser("run", help="migrate the database, then serve")
    run.set_defaults(handler=cmd_run)
    db = sub.add_parser("db", help="the database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_upgrade = db_sub.add_parser("upgrade", help="migrate to the newest schema")
    db_upgrade.set_defaults(handler=cmd_db_upgrade)

    params = sub.add_parser("params", help="parameter files")
    params_sub = params.add_subparsers(dest="params_command", required=True)
    check = params_sub.add_parser("check", help="validate the parameter files and list the lines")
    check.add_argument("--parameters", metavar="DIR", help="parameter directory (default: shipped)")
    check.set_defaults(handler=cmd_params_check)

    from bot.cli_ops import register  # noqa: PLC0415

    register(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    stream = out if out is not None else sys.stdout
    try:
        code: int = args.handler(args, stream)
    except InputError as exc:
        print(f"komek: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ParameterError as exc:
        print(f"komek: parameter error: {exc}", file=sys.stderr)
        return 1
    except CoreError as exc:  # pragma: no cover - every core error is one of the above
        print(f"komek: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
