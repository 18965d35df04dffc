"""What the application services refuse, in words the API answers as they are (404, 409:
api/errors.py) and the dashboard and CLI put on their pages."""


class NotFound(LookupError):
    """No such scenario, version, friend or tag (404)."""


class Conflict(Exception):
    """Not in this state: an ended scenario's new version, a move its status forbids (409)."""


class Invalid(ValueError):
    """What was asked names something that is not there, or holds a bad value (422):
    `problems` are `{"path", "msg", "type"}`, each naming its field."""

    def __init__(self, problems: list[dict[str, str]]):
        super().__init__("; ".join(f"{p['path']}: {p['msg']}" for p in problems))
        self.problems = problems


def invalid(path: str, msg: str, kind: str = "value_error") -> Invalid:
    return Invalid([{"path": path, "msg": msg, "type": kind}])
