"""The `komek` command: `assess` for social workers and scripts, the server, and the staff and
operator commands; each group of subcommands is a module of this package.

    komek assess FILE | --batch FILE.jsonl [--explain --lang kk|ru|en]
    komek params check
    komek run | serve | db upgrade | chat [--lang L] [--sms]
    komek offices import FILE.yaml|FILE.csv [--if-empty] | offices list
    komek appointments --office ID --date YYYY-MM-DD
    komek staff add USERNAME --name NAME --role worker|supervisor|admin [--region CODE]
    komek staff token USERNAME [--label TEXT]
    komek caseload import FILE.csv|FILE.xlsx --as USERNAME | caseload list --as USERNAME
    komek campaign create|preview|send|status|retry ... --as USERNAME
    komek whatsapp templates [--json]

Exit codes: 0 success, 2 bad input (one line on stderr naming the field), 1 anything else.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.cli import assess, campaigns, caseload, offices, serve, staff, whatsapp
from bot.cli.common import EXIT_BAD_INPUT
from core.errors import CoreError, InputError, ParameterError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="komek", description="Komek: targeted social assistance (TSA) assistant"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (assess, serve, offices, staff, caseload, campaigns, whatsapp):
        group.register(sub)
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
