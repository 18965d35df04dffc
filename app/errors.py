"""What the application services refuse, in words the API answers as they are (404, 409:
api/errors.py) and the dashboard and CLI put on their pages."""


class NotFound(LookupError):
    """No such scenario, version, friend or tag (404)."""


class Conflict(Exception):
    """Not in this state: an ended scenario's new version, a move its status forbids (409)."""
