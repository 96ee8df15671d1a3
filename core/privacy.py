"""What each floor contributes to a person's data download.

The accounts floor builds the download but may not import the floors above it, so each
floor registers a function ``user -> JSON-ready data`` under a section name here.
"""

from collections.abc import Callable

EXPORTS: dict[str, Callable] = {}


def register_export(section: str, collect: Callable) -> None:
    """Add ``section`` to every data download, filled by ``collect(user)``."""
    EXPORTS[section] = collect


def collect_sections(user) -> dict:
    """Every registered section for ``user``."""
    return {section: collect(user) for section, collect in EXPORTS.items()}


def iso(value):
    """A datetime as ISO 8601 text, or ``None``."""
    return value.isoformat() if value is not None else None
