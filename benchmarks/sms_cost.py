"""What a self-assessment costs over SMS, per language: inbound messages to reach the result, the
longest question with its menu in segments, the result's segments, and every reply's (UCS-2 for
kk and ru: 70 characters alone, 67 per part). Run by `make bench`.

Targets: a typical family of four completes in at most 10 inbound messages; no SMS reply is over
4 segments (`dialogs.segments.SMS_BUDGET`: a question with the answer said back, the result, a
part of "Why?"), and every golden scenario is held to the same bound by tests/dialogs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.conversation.render import LabelOfTranslator, render_menu
from bot.i18n.translator import Translator
from bot.parameters import default_store
from dialogs.conversation import Inbound, Session, new_session, resume
from dialogs.segments import SMS_BUDGET, cost

NOW = datetime.fromisoformat("2026-01-15T10:00:00+05:00")
OPENING = {"kk": ["Сәлем"], "ru": ["Здравствуйте"], "en": ["Hello"]}
# Scripted households: the answers after the language is settled (SMS: typed digits and numbers).
# "3" is Aktobe: the region list is in each language's alphabet.
HOUSEHOLDS = {
    "family of four (2 adults, children 7 and 2), one wage": [
        "1", "3", "34 32 7 2", "0", "2", "1", "90000", "1", "1",
    ],
    "pensioner alone": ["1", "3", "66", "0", "32360", "1", "1"],
    "mother with children 2 and 5": ["1", "3", "28 2 5", "0", "1", "0", "30000", "1", "1"],
    # a large family is asked besides whether it received its allowance ("1": no)
    "large family of nine": [
        "1", "3", "40 38 15 12 9 6 4 3 1", "0", "2", "1", "150000", "1", "1", "1",
    ],
}  # fmt: skip
TYPICAL = "family of four (2 adults, children 7 and 2), one wage"
MAX_INBOUND = 10


@dataclass
class Cost:
    inbound: int
    worst_question: int
    worst_question_text: str
    result: int
    total_segments: int
    why_parts: int
    worst_reply: int
    worst_reply_text: str


def play(language: str, answers: list[str], translator: Translator) -> Cost:
    store = default_store()
    label_of = LabelOfTranslator(translator)
    session: Session = new_session()
    inbound = worst = total = result = why_parts = worst_reply = 0
    worst_text = worst_reply_text = ""
    texts = [*OPENING[language], *answers]
    done = False
    while texts:
        text = texts.pop(0)
        if not done:
            inbound += 1
        turn = resume(session, Inbound(text, NOW, "sms"), store, label_of)
        session = turn.session
        lang = str(session.get("lang") or "ru")
        rendered = [render_menu(r, lang, translator, one_line=True) for r in turn.replies]
        segments = [cost(t).segments for t in rendered]
        for count, shown in zip(segments, rendered, strict=True):
            if count > worst_reply:
                worst_reply, worst_reply_text = count, shown
        if not done:
            total += sum(segments)
            if any(e.kind == "assessment_done" for e in turn.events):
                result, done = segments[-1], True
            elif segments[-1] > worst:
                worst, worst_text = segments[-1], rendered[-1]
        if done:  # then the result and "Why?" read to the end, a part at a time ("1")
            step = session.get("step")
            why_parts += step == "why"
            keys = [c.key for c in turn.replies[-1].choices]
            if keys[:1] == ["more"] or (step == "result" and keys[:1] == ["why"]):
                texts.append("1")
    return Cost(inbound, worst, worst_text, result, total, why_parts, worst_reply, worst_reply_text)


def main() -> None:
    translator = Translator(Path(__file__).resolve().parent.parent / "locales")
    print("SMS cost of a self-assessment (UCS-2 for kk and ru)")
    failures = []
    for language in ("kk", "ru", "en"):
        print(f"\n  {language}")
        for name, answers in HOUSEHOLDS.items():
            c = play(language, answers, translator)
            print(
                f"    {name:<55} inbound {c.inbound:>2}   longest question {c.worst_question} "
                f"seg   result {c.result} seg   to the result {c.total_segments:>2} seg   "
                f"'Why?' in {c.why_parts} parts   longest reply {c.worst_reply} seg"
            )
            if name == TYPICAL and c.inbound > MAX_INBOUND:
                failures.append(f"{language}: {c.inbound} inbound messages for {name}")
            if c.worst_reply > SMS_BUDGET:
                failures.append(
                    f"{language}: a reply takes {c.worst_reply} segments for {name}:\n"
                    f"      {c.worst_reply_text!r}"
                )
    print(
        f"\n  targets: typical family ≤ {MAX_INBOUND} inbound, every reply ≤ {SMS_BUDGET} segments"
    )
    print(
        "  all targets met" if not failures else "  BELOW TARGET:\n    " + "\n    ".join(failures)
    )


if __name__ == "__main__":
    main()
