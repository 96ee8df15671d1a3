"""Downloads of a process's participation: contributions and participants, as CSV (with
a byte-order mark, formula-safe), XLSX (strings never formulas) or JSON; rows are read in
batches, but the file is still built whole before it is sent (streaming comes with the
export benchmark); people as pseudonyms unless a facilitator gives a reason (audited)."""
