"""How big a scenario may be: at most MAX_STEPS steps in all and step lists nested at most
MAX_NESTING deep (a branch in a split in a wait_for …). A LINE step delivery runs a few dozen
steps; a 50,000-step document would make every page, check and replay that reads it slow for
everyone. Counted on the raw document, before anything else reads it, so an oversized one
costs next to nothing to refuse. The API, the CLI and the dashboard share these limits."""

from collections.abc import Iterator
from typing import Any

from domain.steps import KINDS

MAX_STEPS = 500
MAX_NESTING = 8

# the keys that hold step lists in any kind's document (StepKind.LISTS): lists of options
# each with its `steps` (branches, arms), then lists of steps (otherwise, then, on_timeout)
_OPTIONS = tuple(
    dict.fromkeys(key.split(".")[0] for kind in KINDS for key in kind.LISTS if "." in key)
)
_LISTS = tuple(dict.fromkeys(key for kind in KINDS for key in kind.LISTS if "." not in key))


def _sub_lists(step: dict[str, Any], path: str) -> Iterator[tuple[list, str]]:
    """The step lists inside one raw step, whatever its `type` says."""
    for key in _OPTIONS:
        options = step.get(key)
        if isinstance(options, list):
            for index, option in enumerate(options):
                if isinstance(option, dict) and isinstance(option.get("steps"), list):
                    yield option["steps"], f"{path}.{key}[{index}].steps"
    for key in _LISTS:
        if isinstance(step.get(key), list):
            yield step[key], f"{path}.{key}"


def size_problem(steps: Any) -> str | None:
    """What makes a raw step list too big (None: it is within the limits)."""
    if not isinstance(steps, list):
        return None
    total = 0
    pending: list[tuple[list, str, int]] = [(steps, "steps", 1)]
    while pending:
        current, path, depth = pending.pop()
        if depth > MAX_NESTING:
            return f"{path} is nested more than {MAX_NESTING} step lists deep"
        total += len(current)
        if total > MAX_STEPS:
            return f"a scenario may have at most {MAX_STEPS} steps in all"
        for index, step in enumerate(current):
            if isinstance(step, dict):
                inner = _sub_lists(step, f"{path}[{index}]")
                pending.extend((children, where, depth + 1) for children, where in inner)
    return None
