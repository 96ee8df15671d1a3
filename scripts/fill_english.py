"""Fill the English catalog: msgids are English, so each msgstr is its msgid.

Usage: python scripts/fill_english.py translations/en/LC_MESSAGES/messages.po
"""

import sys

from babel.messages.pofile import read_po, write_po


def main(path: str) -> None:
    """Rewrite the catalog at ``path`` with every empty msgstr set to its msgid."""
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                message.string = tuple(message.id)
        elif not message.string:
            message.string = message.id
        message.flags.discard("fuzzy")
    with open(path, "wb") as handle:
        write_po(handle, catalog, omit_header=False, sort_output=True, width=100)


if __name__ == "__main__":
    main(sys.argv[1])
