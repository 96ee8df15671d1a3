"""Co-design and expert workshops: invitations, presentations; boards in ``boards``."""
