"""Participation summaries: people counted once across spaces and channels, profiles at
the time of taking part, headcounts beside named attendees, small cells suppressed."""
