"""The revision record: the changes from one version to the next, each with its sections,
reason, the themes that motivated it and the contributions it answers; every changed
section explained before publishing."""
