"""The consultations landing page."""
