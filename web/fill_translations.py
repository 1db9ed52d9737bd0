"""Fill msgstr entries of the web catalogs from a JSON file {lang: {msgid: msgstr}} (after pybabel extract + update).

Usage, from the repository root: .venv/bin/python web/fill_translations.py translations.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def fill(table_file: Path) -> int:
    data: dict[str, dict[str, str]] = json.loads(table_file.read_text(encoding="utf-8"))
    missing = 0
    for language, table in data.items():
        path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for msgid, msgstr in table.items():
            message = catalog.get(msgid)
            if message is None:
                print(f"{language}: not in the catalog (run pybabel extract and update first): {msgid!r}")
                missing += 1
                continue
            message.string = msgstr
            message.flags.discard("fuzzy")
        with path.open("wb") as handle:
            write_po(handle, catalog, sort_output=True, include_lineno=False)
    return missing


if __name__ == "__main__":
    sys.exit(1 if fill(Path(sys.argv[1])) else 0)
