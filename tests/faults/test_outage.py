"""Nothing accepted is ever dropped (docs/RELIABILITY.md): every kind of change is made while
the Temporal dev server is stopped; once it is back each is acted on exactly once. The run on
SQLite (tests/faults/outage_run.py); what it must prove: tests/faults/outage_checks.py. The
same on PostgreSQL: test_outage_postgres.py (a file of its own, so the two run side by side)."""

import pytest

from tests.faults.outage_checks import *  # noqa: F403  (the tests, on this module's run)
from tests.faults.outage_run import Run, report, run_outage


@pytest.fixture(scope="module")
async def run(tmp_path_factory) -> Run:
    folder = tmp_path_factory.mktemp("outage-sqlite")
    return report(await run_outage(folder, f"sqlite:///{folder}/stepline.db"), "sqlite")
