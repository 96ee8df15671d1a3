"""Comment rounds: one version, one audience, one time window; comments anchored to
section keys, replies, comments entered on someone's behalf, exports."""
