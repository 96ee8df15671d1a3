"""Fill empty msgstr entries of a catalog from a Python file holding a dict ``T``
(msgid, or (singular, plural), to the translation). A translator's helper.

Usage: python scripts/translate.py translations/es/LC_MESSAGES/messages.po TRANSLATIONS.py
"""

import runpy
import sys

from babel.messages.pofile import read_po, write_po


def main(catalog_path: str, table_path: str) -> None:
    """Write the translations of ``table_path`` into the catalog; report what is missing."""
    table = runpy.run_path(table_path)["T"]
    with open(catalog_path, "rb") as handle:
        catalog = read_po(handle)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        empty = not all(message.string) if isinstance(message.id, tuple) else not message.string
        if empty:
            if message.id in table:
                message.string = table[message.id]
                message.flags.discard("fuzzy")
            else:
                missing.append(message.id)
    with open(catalog_path, "wb") as handle:
        write_po(handle, catalog, sort_output=True, width=76)
    for msgid in missing:
        print("untranslated:", msgid)


if __name__ == "__main__":
    main(*sys.argv[1:3])
