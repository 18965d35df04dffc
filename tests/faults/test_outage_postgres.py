"""The outage run (test_outage.py) with stepline's store on PostgreSQL, when
STEPLINE_TEST_DATABASE_URL names a server (CI sets it)."""

import pytest

from tests.faults.outage_checks import *  # noqa: F403  (the tests, on this module's run)
from tests.faults.outage_run import Run, report, run_outage
from tests.support.database import POSTGRES_URL, postgres_database


@pytest.fixture(scope="module")
async def run(tmp_path_factory) -> Run:
    if not POSTGRES_URL:
        pytest.skip("STEPLINE_TEST_DATABASE_URL is not set")
    folder = tmp_path_factory.mktemp("outage-postgresql")
    with postgres_database() as url:
        return report(await run_outage(folder, url), "postgresql")
