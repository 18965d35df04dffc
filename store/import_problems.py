"""What is wrong with an import file: the ImportInvalid error and the capped list of problems."""

MAX_PROBLEMS = 100


class ImportInvalid(Exception):
    """The file cannot be imported; `problems` are `{"path", "msg", "type"}` like other 422s."""

    def __init__(self, problems: list[dict[str, str]]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def problem(path: str, msg: str, type_: str) -> dict[str, str]:
    return {"path": path, "msg": msg, "type": type_}


class TooMany(Exception):
    pass


class Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self.truncated = False

    def add(self, path: str, msg: str, type_: str) -> None:
        if len(self.items) == MAX_PROBLEMS:
            self.truncated = True
            raise TooMany
        self.items.append(problem(path, msg, type_))

    def result(self) -> list[dict[str, str]]:
        if not self.truncated:
            return self.items
        note = problem(
            "file",
            f"more than {MAX_PROBLEMS} problems: only the first {MAX_PROBLEMS - 1} are listed",
            "too_many_problems",
        )
        return [*self.items[: MAX_PROBLEMS - 1], note]


def short(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")
