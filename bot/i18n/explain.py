"""`komek assess --explain`: the explanation of `dialogs.explain`, rendered in one language."""

from __future__ import annotations

from bot.i18n.translator import Translator
from core.assess import Assessment
from dialogs.explain import explain


def render_explanation(
    result: Assessment, language: str, translator: Translator | None = None
) -> str:
    translator = translator or Translator()
    return "\n".join(translator.render(text, language) for text in explain(result))
