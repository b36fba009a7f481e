"""What a self-assessment costs over SMS, per language: inbound messages to reach the result, the
longest question with its menu in segments, and the result's segments (UCS-2 for kk and ru: 70
characters alone, 67 per part). Run by `make bench`.

Targets: a typical family of four completes in at most 10 inbound messages; every question fits
in 2 segments with its menu; the result with its next steps in at most 4.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.conversation.render import LabelOfTranslator, render_menu
from bot.i18n.translator import Translator
from bot.parameters import default_store
from dialogs.conversation import Inbound, Session, new_session, resume
from dialogs.segments import cost

NOW = datetime.fromisoformat("2026-01-15T10:00:00+05:00")
OPENING = {"kk": ["Сәлем"], "ru": ["Здравствуйте"], "en": ["Hello"]}
# Scripted households: the answers after the language is settled (SMS: typed digits and numbers).
HOUSEHOLDS = {
    "family of four (2 adults, children 7 and 2), one wage": [
        "1", "6", "34 32 7 2", "0", "2", "1", "90000", "1", "1",
    ],
    "pensioner alone": ["1", "6", "66", "0", "0", "32360", "1", "1"],
    "mother with children 2 and 5": ["1", "6", "28 2 5", "0", "1", "0", "30000", "1", "1"],
    "large family of nine": [
        "1", "6", "40 38 15 12 9 6 4 3 1", "0", "2", "1", "150000", "1", "1", "1",
    ],
}  # fmt: skip
TYPICAL = "family of four (2 adults, children 7 and 2), one wage"
MAX_INBOUND, MAX_QUESTION, MAX_RESULT = 10, 2, 4


@dataclass
class Cost:
    inbound: int
    worst_question: int
    worst_question_text: str
    result: int
    total_segments: int


def play(language: str, answers: list[str], translator: Translator) -> Cost:
    store = default_store()
    label_of = LabelOfTranslator(translator)
    session: Session = new_session()
    inbound = worst = total = result = 0
    worst_text = ""
    for text in [*OPENING[language], *answers]:
        inbound += 1
        turn = resume(session, Inbound(text, NOW, "sms"), store, label_of)
        session = turn.session
        lang = str(session.get("lang") or "ru")
        rendered = [render_menu(r, lang, translator, one_line=True) for r in turn.replies]
        segments = [cost(t).segments for t in rendered]
        total += sum(segments)
        if any(e.kind == "assessment_done" for e in turn.events):
            result = segments[-1]
            break
        if segments[-1] > worst:
            worst, worst_text = segments[-1], rendered[-1]
    return Cost(inbound, worst, worst_text, result, total)


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
                f"seg   result {c.result} seg   all replies {c.total_segments} seg"
            )
            if name == TYPICAL and c.inbound > MAX_INBOUND:
                failures.append(f"{language}: {c.inbound} inbound messages for {name}")
            if c.worst_question > MAX_QUESTION:
                failures.append(
                    f"{language}: a question takes {c.worst_question} segments:\n"
                    f"      {c.worst_question_text!r}"
                )
            if c.result > MAX_RESULT:
                failures.append(f"{language}: the result takes {c.result} segments for {name}")
    print(
        f"\n  targets: typical family ≤ {MAX_INBOUND} inbound, question ≤ {MAX_QUESTION} "
        f"segments, result ≤ {MAX_RESULT} segments"
    )
    print(
        "  all targets met" if not failures else "  BELOW TARGET:\n    " + "\n    ".join(failures)
    )


if __name__ == "__main__":
    main()
