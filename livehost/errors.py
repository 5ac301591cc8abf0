"""Errors a user can fix. The CLI prints them as one line and exits with code 2."""


class LivehostError(Exception):
    """A problem with the user's input or environment, stated so they can fix it."""
