"""`komek whatsapp templates`: what to submit to Meta for approval, one template per Komek
message sent outside WhatsApp's 24-hour window, in kk, ru and en, with the status each has in
the registry the server reads (KOMEK_WHATSAPP_TEMPLATES, or the packaged one)."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from bot.cli.common import config


def cmd_templates(args: argparse.Namespace, out: TextIO) -> int:
    from bot.channels.whatsapp.templates import load, submissions  # noqa: PLC0415
    from bot.i18n.translator import Translator  # noqa: PLC0415

    registry = load(config().whatsapp_templates)
    found = submissions(registry, Translator())
    if args.json:
        bodies = [{k: v for k, v in s.items() if k != "status"} for s in found]
        out.write(json.dumps(bodies, ensure_ascii=False, indent=2) + "\n")
        return 0
    out.write(
        "Submit each as a message template of the WhatsApp Business Account (category UTILITY),\n"
        "then mark its language approved in the registry. Parameters: {{1}}, {{2}}, ...\n"
    )
    for submission in found:
        body = submission["components"][0]
        examples = body.get("example", {}).get("body_text", [[]])[0]
        out.write(
            f"\n{submission['name']} [{submission['language']}] {submission['category']}"
            f" ({submission['status']})\n  {body['text']}\n"
        )
        for number, example in enumerate(examples, 1):
            out.write(f"  {{{{{number}}}}} e.g. {example}\n")
    return 0


def register(sub: Any) -> None:
    whatsapp = sub.add_parser("whatsapp", help="the WhatsApp channel")
    whatsapp_sub = whatsapp.add_subparsers(dest="whatsapp_command", required=True)
    templates = whatsapp_sub.add_parser("templates", help="the message templates to submit")
    templates.add_argument(
        "--json", action="store_true", help="as bodies for the Graph API's message_templates"
    )
    templates.set_defaults(handler=cmd_templates)
