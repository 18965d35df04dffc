"""What the operator pages' tests share: the signed-in browser (tests/support/dashboard.py)
and the problem a page shows on a field."""

import re

from tests.support.dashboard import csrf, operator

__all__ = ["csrf", "operator", "problem_on"]


def problem_on(page: str, field: str) -> str:
    """The problem a page shows on a field ('' when none)."""
    found = re.search(rf'data-field="{re.escape(field)}" role="alert">([^<]*)<', page)
    return found.group(1) if found else ""
