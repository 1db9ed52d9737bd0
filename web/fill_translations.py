"""Fill msgstr entries of the web catalogs from a JSON file {lang: {msgid: msgstr}} (after pybabel extract + update).

Usage: .venv/bin/python web/fill_translations.py translations.json
"""
import json, sys
from babel.messages.pofile import read_po, write_po
data = json.load(open(sys.argv[1]))
for lang, table in data.items():
    path = f"web/translations/{lang}/LC_MESSAGES/messages.po"
    with open(path, "rb") as f:
        cat = read_po(f, locale=lang)
    for msgid, msgstr in table.items():
        m = cat.get(msgid)
        if m is None:
            print("not in catalog:", lang, msgid); continue
        m.string = msgstr
    with open(path, "wb") as f:
        write_po(f, cat, sort_output=True, omit_header=False, include_lineno=False)
