"""The registry of WhatsApp message templates (`templates.yaml`): which approved template
carries which Komek message (a form of `bot.delivery.forms`) in which language, with its
parameters in order. The texts themselves are the forms, translated by the catalogs; what to
submit to Meta is printed by `komek whatsapp templates`.

A template's body may not start or end with a parameter, nor hold a line break in one: the
loader checks the first, and `body_parameters` replaces line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.delivery.forms import FORMS, parameters
from bot.delivery.senders import Notice
from bot.i18n.translator import LANGUAGES, Translator
from dialogs.text import Clock, Day, Local, Param, Text

REGISTRY = Path(__file__).with_name("templates.yaml")
STATUSES = ("approved", "pending", "rejected")
CATEGORIES = ("utility",)
NAME = re.compile(r"^[a-z0-9_]{1,512}$")  # Meta's rule for a template's name
# The Cloud API's language codes for Komek's languages.
LANGUAGE_CODES = {"kk": "kk", "ru": "ru", "en": "en"}
PARAMETER_LIMIT = 1024  # characters in one parameter's text (Meta)


class TemplateError(ValueError):
    """A registry that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    serves: str
    category: str
    parameters: tuple[str, ...]
    languages: Mapping[str, str]  # kk | ru | en -> approved | pending | rejected

    def approved(self, language: str) -> bool:
        return self.languages.get(language) == "approved"

    def body(self, translator: Translator, language: str) -> str:
        """The body as Meta wants it submitted: the form's text, parameters as {{1}}, {{2}}."""
        numbered = {name: f"{{{{{n}}}}}" for n, name in enumerate(self.parameters, 1)}
        return translator.render(Text(FORMS[self.serves], numbered), language)

    def body_parameters(self, notice: Notice) -> list[str]:
        """The notice's parameters in the template's order, each one line within Meta's limit."""
        given = dict(notice.params)
        values = []
        for name in self.parameters:
            value = " ".join(given.get(name, "").split()) or "-"
            values.append(value[:PARAMETER_LIMIT])
        return values


@dataclass(frozen=True, slots=True)
class Registry:
    templates: tuple[Template, ...]

    def for_notice(self, notice: Notice) -> Template | None:
        """The template approved for this message in its language, if any."""
        for template in self.templates:
            if template.serves == notice.serves and template.approved(notice.language):
                return template
        return None


def _fail(path: Path, where: str, why: str) -> TemplateError:
    return TemplateError(f"{path}: {where}: {why}")


def load(path: Path | None = None) -> Registry:
    """The registry in `path` (default: the packaged one), checked whole."""
    path = path or REGISTRY
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path}: cannot be read: {exc}") from None
    entries = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise _fail(path, "top level", "a list under `templates:` is expected")
    templates = [_template(path, n, entry) for n, entry in enumerate(entries, 1)]
    names = [t.name for t in templates]
    for name in names:
        if names.count(name) > 1:
            raise _fail(path, name, "the name is used twice")
    return Registry(tuple(templates))


def _template(path: Path, number: int, entry: Any) -> Template:
    if not isinstance(entry, dict):
        raise _fail(path, f"entry {number}", "a mapping is expected")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise _fail(path, f"entry {number}", "name: lower-case letters, digits and _")
    serves = entry.get("serves")
    if serves not in FORMS:
        raise _fail(path, name, f"serves: one of {', '.join(sorted(FORMS))}")
    category = entry.get("category")
    if category not in CATEGORIES:
        raise _fail(path, name, f"category: one of {', '.join(CATEGORIES)}")
    given = entry.get("parameters")
    if not isinstance(given, list) or sorted(map(str, given)) != sorted(parameters(serves)):
        raise _fail(
            path, name, f"parameters: the form's own, in any order: {list(parameters(serves))}"
        )
    form = FORMS[serves]
    if form.startswith("{") or form.endswith("}"):
        raise _fail(path, name, "the form starts or ends with a parameter: Meta refuses that")
    languages = entry.get("languages")
    if not isinstance(languages, dict) or not languages:
        raise _fail(path, name, "languages: a mapping of kk, ru, en to a status")
    for language, status in languages.items():
        if language not in LANGUAGES or status not in STATUSES:
            raise _fail(
                path, name, f"languages: {', '.join(LANGUAGES)} each {' | '.join(STATUSES)}"
            )
    return Template(name, str(serves), str(category), tuple(map(str, given)), dict(languages))


# An example of each parameter, which Meta asks for with every template submitted.
EXAMPLES: dict[str, Param] = {
    "day": Day(date(2026, 11, 30)),
    "time": Clock(datetime(2026, 11, 30, 9, 30)),
    "office": Local(
        "Астана қаласының Жұмыспен қамту орталығы",
        "Центр занятости города Астаны",
        "Astana Employment Centre",
    ),
    "address": Local("Бейбітшілік көшесі, 11", "улица Бейбитшилик, 11", "11 Beibitshilik Street"),
    "note": Local("Кеңсе жөндеуде", "В офисе ремонт", "The office is being repaired"),
    "start": date(2027, 1, 1),
    "date": date(2027, 1, 15),
    "text": Local(
        "Ертең орталық 10:00-де ашылады",
        "Завтра центр откроется в 10:00",
        "Tomorrow the centre opens at 10:00",
    ),
}


def submissions(registry: Registry, translator: Translator) -> list[dict[str, Any]]:
    """What to submit to Meta for each template and language: the body of a POST to the
    business account's `message_templates` (name, language, category, the body with an
    example of each parameter), with the template's status in the registry."""
    found: list[dict[str, Any]] = []
    for template in registry.templates:
        for language in LANGUAGES:
            if language not in template.languages:
                continue
            body: dict[str, Any] = {"type": "BODY", "text": template.body(translator, language)}
            if template.parameters:
                sample = [
                    translator.format(EXAMPLES[name], language) if name in EXAMPLES else name
                    for name in template.parameters
                ]
                body["example"] = {"body_text": [sample]}
            found.append(
                {
                    "name": template.name,
                    "language": LANGUAGE_CODES[language],
                    "category": template.category.upper(),
                    "components": [body],
                    "status": template.languages[language],
                }
            )
    return found
