"""`komek campaign create|preview|send|status --as USERNAME`: messages from staff to many
families. Campaigns are queued here and sent by the server's dispatcher; `--as` names the member
of staff the command acts for: their rights apply and the audit log names them."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any, TextIO

from sqlalchemy import Connection

from bot import clock
from bot.cli.common import Progress, config, in_database, member
from core.errors import InputError


def _campaign_rates() -> dict[str, float]:
    settings = config()
    return {
        "telegram": settings.telegram_rate,
        "sms": settings.sms_rate,
        "whatsapp": settings.whatsapp_rate,
    }


def cmd_campaign_create(args: argparse.Namespace, out: TextIO) -> int:
    from bot.staff.campaigns import Audience, CampaignError, create  # noqa: PLC0415

    texts: dict[str, Any] = {"kk": args.text_kk, "ru": args.text_ru, "en": args.text_en}
    if args.due:
        texts["due"] = args.due
    try:
        before = date.fromisoformat(args.reassess_before) if args.reassess_before else None
    except ValueError:
        raise InputError("--reassess-before", "must be YYYY-MM-DD") from None
    audience = Audience(not args.all_cases, args.region, args.language, before)
    now = clock.now()

    def work(connection: Connection) -> int:
        return create(
            connection,
            member(connection, args.as_user),
            name=args.name,
            template=args.template,
            texts=texts,
            audience=audience,
            now=now,
        )

    try:
        campaign_id = in_database(work)
    except CampaignError as exc:
        raise InputError("campaign", str(exc)) from None
    out.write(f"campaign {campaign_id} created (draft): komek campaign preview {campaign_id}\n")
    return 0


def cmd_campaign_preview(args: argparse.Namespace, out: TextIO) -> int:
    from bot.i18n.translator import Translator  # noqa: PLC0415
    from bot.staff.campaigns import CampaignError, preview  # noqa: PLC0415

    translator, rates = Translator(), _campaign_rates()
    try:
        shown = in_database(
            lambda c: preview(c, member(c, args.as_user), args.id, translator, rates)
        )
    except CampaignError as exc:
        raise InputError("campaign", str(exc)) from None
    out.write(f"campaign {shown['campaign']}: {shown['name']} ({shown['status']})\n")
    for language, text in shown["texts"].items():
        out.write(
            f"  [{language}] SMS: {text['sms_segments']} segment(s), {text['sms_encoding']}\n"
            f"    {text['text']}\n"
        )
    channels = ", ".join(f"{n} by {ch}" for ch, n in sorted(shown["recipients"].items()))
    out.write(f"  recipients: {channels or 'none'}; opted out (skipped): {shown['opted_out']}\n")
    out.write(f"  sending takes about {shown['eta_seconds']} s under the rate limits\n")
    return 0


def cmd_campaign_send(args: argparse.Namespace, out: TextIO) -> int:
    from bot.staff.campaigns import CampaignError, send  # noqa: PLC0415

    now = clock.now()
    try:
        queued = in_database(lambda c: send(c, member(c, args.as_user), args.id, now))
    except CampaignError as exc:
        raise InputError("campaign", str(exc)) from None
    out.write(
        f"campaign {args.id}: {queued} message(s) queued; the server sends them "
        f"(komek campaign status {args.id} --watch)\n"
    )
    return 0


def cmd_campaign_retry(args: argparse.Namespace, out: TextIO) -> int:
    from bot.staff.campaigns import CampaignError, retry_failed  # noqa: PLC0415

    now = clock.now()
    try:
        queued = in_database(lambda c: retry_failed(c, member(c, args.as_user), args.id, now))
    except CampaignError as exc:
        raise InputError("campaign", str(exc)) from None
    out.write(f"campaign {args.id}: {queued} failed message(s) queued again\n")
    return 0


def cmd_campaign_status(args: argparse.Namespace, out: TextIO) -> int:
    import time  # noqa: PLC0415

    from bot.staff.campaigns import CampaignError, status  # noqa: PLC0415

    def look() -> dict[str, Any]:
        try:
            return in_database(
                lambda c: status(c, member(c, args.as_user), args.id, recipients=args.recipients)
            )
        except CampaignError as exc:
            raise InputError("campaign", str(exc)) from None

    shown = look()
    if args.watch:
        progress = Progress(shown["queued"])
        deadline = time.monotonic() + args.watch_limit
        while shown["status"] == "sending" and time.monotonic() < deadline:
            progress(shown["queued"] - shown["outbox"].get("pending", 0))
            time.sleep(1.0)
            shown = look()
        progress(shown["queued"] - shown["outbox"].get("pending", 0))
        progress.close()
    counts = ", ".join(f"{n} {s}" for s, n in sorted(shown["outbox"].items()))
    out.write(
        f"campaign {shown['campaign']}: {shown['name']} ({shown['status']}): "
        f"{counts or 'nothing queued'}; {shown['delivered']} delivered; "
        f"{shown['by_fallback']} by fallback\n"
    )
    for recipient in shown.get("recipients", []):
        out.write(
            f"  {recipient['channel']:<9} {recipient['contact']:<10} {recipient['status']:<9}"
            f" {recipient['delivery'] or ''} {recipient['error'] or ''}\n"
        )
        for attempt in recipient["attempts"]:
            out.write(
                f"      {attempt['channel']:<9} {attempt['outcome']:<13} {attempt['error'] or ''}\n"
            )
    return 0


def register(sub: Any) -> None:
    campaign = sub.add_parser("campaign", help="messages from staff to many families")
    campaign_sub = campaign.add_subparsers(dest="campaign_command", required=True)
    new = campaign_sub.add_parser("create", help="a draft campaign")
    new.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    new.add_argument("--name", required=True)
    new.add_argument("--template", required=True, choices=("quarterly", "documents_due", "custom"))
    new.add_argument("--due", metavar="YYYY-MM-DD", help="documents_due: the date")
    for language in ("kk", "ru", "en"):
        new.add_argument(
            f"--text-{language}", metavar="TEXT", help=f"custom: the text in {language}"
        )
    new.add_argument("--region", help="only families of this region")
    new.add_argument(
        "--language", choices=("kk", "ru", "en"), help="only families of this language"
    )
    new.add_argument("--reassess-before", metavar="YYYY-MM-DD")
    new.add_argument(
        "--all-cases", action="store_true", help="every case you may see, not only your own"
    )
    new.set_defaults(handler=cmd_campaign_create)
    for name, handler, text in (
        ("preview", cmd_campaign_preview, "the texts, SMS segments, recipients and ETA"),
        ("send", cmd_campaign_send, "queue it for sending"),
        ("status", cmd_campaign_status, "progress and delivery"),
        ("retry", cmd_campaign_retry, "send the failed messages again"),
    ):
        command = campaign_sub.add_parser(name, help=text)
        command.add_argument("id", type=int)
        command.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
        if name == "status":
            command.add_argument("--watch", action="store_true", help="follow until it is sent")
            command.add_argument(
                "--watch-limit", type=float, default=3600.0, help=argparse.SUPPRESS
            )
            command.add_argument("--recipients", action="store_true", help="each recipient")
        command.set_defaults(handler=handler)
