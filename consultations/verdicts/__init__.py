"""What became of each contribution: verdicts derived from codings and the revision
record, facilitators' decisions (not taken, out of scope, overrides), publication in
batches with grouped notifications, and "Mis aportes"."""
