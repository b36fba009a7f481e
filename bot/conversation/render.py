"""Renders the engine's replies for a channel: buttons stay with the channel (Telegram, the web
chat), which also get the text as HTML (amounts bold, links live); a numbered menu is written
into the text for SMS and the console ("1 Иә  2 Жоқ")."""

from __future__ import annotations

from bot.i18n.translator import Translator
from dialogs.engine import Reply
from dialogs.text import Text


def render_text(reply: Reply, language: str, translator: Translator) -> str:
    return "\n".join(translator.render(line, language) for line in reply.lines)


def render_html(reply: Reply, language: str, translator: Translator) -> str:
    """The reply's text as HTML, for channels that show it: key figures bold, links live."""
    return "\n".join(translator.render_html(line, language) for line in reply.lines)


def render_menu(reply: Reply, language: str, translator: Translator, one_line: bool) -> str:
    """The reply's text with its choices numbered: on one line for SMS, one per line otherwise."""
    text = render_text(reply, language, translator)
    if not reply.choices:
        return text
    items = [
        f"{n} {translator.render(choice.label, language)}"
        for n, choice in enumerate(reply.choices, 1)
    ]
    menu = "  ".join(items) if one_line else "\n".join(items)
    return f"{text}\n{menu}"


class LabelOfTranslator:
    """What the engine needs to match a typed label: the label in a language."""

    def __init__(self, translator: Translator) -> None:
        self.translator = translator

    def __call__(self, label: Text, language: str) -> str:
        return self.translator.render(label, language)
