"""Differences between two versions of a model, section by section.

Sections are matched by their stable key. A section is added, removed, changed (its text
differs: a word-level diff) or unchanged; it may also be renamed (its title differs) or
moved (its place among the sections both versions share changed).

The word-level diff is ``lxml.html.diff.htmldiff``: it works on the stored, sanitized
HTML, keeps the markup (paragraphs, lists, links) intact and marks words with ``<ins>`` and
``<del>``, which read as underlined and struck through without colour. Each mark gets a
visually hidden label ("inserted:", "deleted:") for screen readers, and the result is
cleaned again (:func:`core.text.clean_diff`). A section's diff depends only on the two
texts and the labels, so it is kept in ``core.cache`` under a digest of them: shared by
the workers with Redis, within the memory cache's bounds without.
"""

import difflib
import hashlib
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup

from consultations.versions.models import Section
from core.cache import cache
from core.text import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS, cached_html, clean_diff

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"

#: Part of every kept diff's key: what the diff is cleaned to, and a number to raise when
#: the way it is drawn changes, so that a deployment that changes either (with Redis,
#: which outlives it) starts afresh.
_DRAWN_AS = repr((1, sorted(ALLOWED_TAGS), sorted(ALLOWED_ATTRIBUTES.items()), sorted(ALLOWED_PROTOCOLS))).encode()


@dataclass
class SectionChange:
    """What happened to one key between the two versions."""

    key: str
    status: str
    old: Section | None
    new: Section | None
    renamed: bool = False
    moved: bool = False
    #: The word-level diff of the text, for a changed section.
    words: Markup | None = None

    @property
    def section(self) -> Section:
        return self.new or self.old


@dataclass
class Comparison:
    """Every key of either version, in the newer one's order (removed ones where they
    stood), and how many are unchanged."""

    changes: list[SectionChange]

    @property
    def unchanged(self) -> int:
        return sum(1 for c in self.changes if c.status == UNCHANGED and not (c.renamed or c.moved))

    def count(self, status: str) -> int:
        return sum(1 for c in self.changes if c.status == status)

    @property
    def renamed(self) -> int:
        return sum(1 for c in self.changes if c.renamed)

    @property
    def moved(self) -> int:
        return sum(1 for c in self.changes if c.moved)


def _words(old_html: str, new_html: str, inserted: str, deleted: str) -> str:
    # Diffing and cleaning a section took some 4 ms (most of it bleach): a diff page of
    # 100 sections is drawn from what the first request made, in each language.
    digest = hashlib.blake2b(_DRAWN_AS, digest_size=16)
    for part in (old_html, new_html, inserted, deleted):
        digest.update(part.encode())
        digest.update(b"\x00")
    key = f"diff:{digest.hexdigest()}"
    kept = cache.get(key)
    if kept is None:
        # lxml (with lxml.html) is some 5 MB a process: imported by the first diff drawn,
        # not by a worker that never draws one.
        from lxml.html.diff import htmldiff

        raw = htmldiff(old_html or "<p></p>", new_html or "<p></p>")
        kept = str(clean_diff(raw.replace("<ins>", inserted).replace("<del>", deleted)))
        cache.set(key, kept)
    return kept


def words(old_html: str, new_html: str) -> Markup:
    """The word-level diff of two stored renderings, labelled for screen readers (in the
    current language) and cleaned."""
    inserted = f'<ins><span class="visually-hidden">{_("inserted:")} </span>'
    deleted = f'<del><span class="visually-hidden">{_("deleted:")} </span>'
    return cached_html(_words(old_html or "", new_html or "", inserted, deleted))


def compare(old_sections: list[Section], new_sections: list[Section]) -> Comparison:
    """Compare two versions' sections (each list in reading order)."""
    old_by_key = {s.key: s for s in old_sections}
    new_by_key = {s.key: s for s in new_sections}
    old_common = [s.key for s in old_sections if s.key in new_by_key]
    new_common = [s.key for s in new_sections if s.key in old_by_key]
    # Keys outside the longest run of shared order are the ones that moved.
    matcher = difflib.SequenceMatcher(a=old_common, b=new_common, autojunk=False)
    in_place = {new_common[block.b + i] for block in matcher.get_matching_blocks() for i in range(block.size)}
    changes: list[SectionChange] = []
    new_keys = [s.key for s in new_sections]
    # Removed sections are shown after the section that preceded them in the old version.
    removed_after: dict[str | None, list[Section]] = {}
    previous = None
    for s in old_sections:
        if s.key not in new_by_key:
            removed_after.setdefault(previous, []).append(s)
        else:
            previous = s.key
    for s in removed_after.get(None, []):
        changes.append(SectionChange(s.key, REMOVED, s, None))
    for key in new_keys:
        new = new_by_key[key]
        old = old_by_key.get(key)
        if old is None:
            changes.append(SectionChange(key, ADDED, None, new))
        else:
            same_text = old.body_html == new.body_html
            changes.append(
                SectionChange(
                    key,
                    UNCHANGED if same_text else CHANGED,
                    old,
                    new,
                    renamed=old.title != new.title,
                    moved=key not in in_place,
                    words=None if same_text else words(old.body_html, new.body_html),
                )
            )
        for s in removed_after.get(key, []):
            changes.append(SectionChange(s.key, REMOVED, s, None))
    return Comparison(changes)
