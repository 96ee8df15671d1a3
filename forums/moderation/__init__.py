"""Moderation: flags, hiding and restoring contributions, blocking accounts."""
