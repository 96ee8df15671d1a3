"""The methodology report of a process: timeline, spaces, people by segment, themes,
versions and their changes, verdicts and the method notes, as a printable page and a PDF,
with SVG charts beside their data tables."""
