"""What the CLI tests share."""

import pytest

from tests.support.stack import ADMIN_TOKEN


@pytest.fixture
def env(stack):
    """The environment a `stepline` command run against the test's stack gets (a module may
    have its own)."""
    return {
        "STEPLINE_PUBLIC_URL": str(stack.api.base_url),
        "STEPLINE_ADMIN_TOKEN": ADMIN_TOKEN,
        "LINE_API_BASE_URL": str(stack.emu.base_url),
        "COLUMNS": None,  # as from a pipe (pytest-xdist's workers set 80)
    }
