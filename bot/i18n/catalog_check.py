"""`make check`'s catalog gate: the catalogs hold exactly the strings the code uses, every one is
translated (no fuzzy), and every translation keeps the msgid's placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n.translator import LANGUAGES, LOCALES_DIR

ROOT = LOCALES_DIR.parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")
KEYWORDS = ["-k", "N_", "-k", "msg", "-k", "nmsg:1,2", "-k", "pmsg:1c,2"]


def extract() -> Catalog:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "babel.messages.frontend",
                "extract",
                "--no-location",
                "--sort-output",
                "--omit-header",
                "-F",
                str(ROOT / "babel.cfg"),
                *KEYWORDS,
                "-o",
                str(pot),
                str(ROOT),
            ],
            check=True,
            capture_output=True,
        )
        with pot.open("rb") as handle:
            return read_po(handle)


def _ids(catalog: Catalog) -> set[tuple[str, str | None]]:
    return {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in catalog if m.id}


def problems(code: Catalog, locales: Path = LOCALES_DIR) -> list[str]:
    found = []
    wanted = _ids(code)
    for language in LANGUAGES:
        path = locales / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        have = _ids(catalog)
        for msgid, _ in sorted(wanted - have, key=str):
            found.append(f"{path}: missing {msgid!r} (run make extract, then translate)")
        for msgid, _ in sorted(have - wanted, key=str):
            found.append(f"{path}: {msgid!r} is no longer used (run make extract)")
        for message in catalog:
            if not message.id:
                continue
            ids = [message.id] if isinstance(message.id, str) else list(message.id)
            strings = (
                [message.string] if isinstance(message.string, str) else list(message.string or ())
            )
            if message.fuzzy or not all(strings):
                found.append(f"{path}: {ids[0]!r} is untranslated or fuzzy")
                continue
            expected = set(PLACEHOLDER.findall(" ".join(ids)))
            for string in strings:
                got = set(PLACEHOLDER.findall(string))
                # A singular form may leave out {n} ("one child"); no form may invent a name.
                if got - expected or expected - got - {"n"}:
                    found.append(
                        f"{path}: placeholders {sorted(got)} differ from {sorted(expected)} "
                        f"in {ids[0]!r}"
                    )
    return found


def main() -> int:
    found = problems(extract())
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"catalog check: {len(found)} problem(s)", file=sys.stderr)
        return 1
    print("catalog check: kk, ru and en agree with the code and keep every placeholder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
