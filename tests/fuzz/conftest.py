"""Fuzz tests: Hypothesis and Schemathesis against one running stack for the folder, on
PostgreSQL when STEPLINE_TEST_DATABASE_URL is set (as in CI: the production database), else
on SQLite.

Repeatable in CI: derandomized (the same examples every run), no example database, Hypothesis's
own files in a temporary folder rather than the work tree, and a bounded number of examples per
test (each test says how many)."""

import os
import tempfile
from contextlib import nullcontext
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

from tests.support.database import POSTGRES_URL, postgres_database
from tests.support.stack import running_stack
from tests.support.temporal import time_skipping

set_hypothesis_home_dir(
    os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
    or Path(tempfile.gettempdir()) / "stepline-hypothesis"
)
settings.register_profile(
    "stepline-fuzz",
    database=None,
    derandomize=True,
    deadline=None,  # a request to the whole stack takes what it takes
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("stepline-fuzz")


@pytest.fixture(scope="package")
async def fuzzed(tmp_path_factory):
    """The stack the fuzz tests send their requests to, on a time-skipping server of its own:
    whatever thousands of odd requests leave running there cannot hold up other tests."""
    sqlite = f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/stepline.db"
    with postgres_database() if POSTGRES_URL else nullcontext(sqlite) as url:
        async with time_skipping() as env, running_stack(env, database_url=url) as running:
            yield running
