import asyncio
import os
import sys

import pytest

from store.db import Database
from tests.support.database import POSTGRES_URL, postgres_database
from tests.support.stack import running_stack
from tests.support.temporal import time_skipping

_EXIT = pytest.StashKey[int]()


@pytest.fixture(scope="module")
async def ts_env():
    """One time-skipping test server per test module; each test uses its own task queue. (One
    for the whole session stopped skipping time after a few hundred tests, now and then.)"""
    async with time_skipping() as env:
        yield env


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/stepline.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Store tests run on SQLite, and on PostgreSQL when STEPLINE_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/stepline.db"
        return
    if not POSTGRES_URL:
        pytest.skip("STEPLINE_TEST_DATABASE_URL is not set")
    with postgres_database() as url:
        yield url


@pytest.fixture
async def db(database_url):
    """The store, migrated, on each database `database_url` names."""
    database = Database(database_url)
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
async def stack(ts_env, sqlite_url):
    async with running_stack(ts_env, database_url=sqlite_url) as running:
        yield running


@pytest.fixture
async def fresh_stack(sqlite_url):
    """A stack on a time-skipping server of its own. For a test that hung on the shared one
    after many others had run (its timer never fired: the shared server stopped skipping
    time; the cause is not found yet)."""
    async with time_skipping() as env, running_stack(env, database_url=sqlite_url) as running:
        yield running


@pytest.fixture
async def any_stack(ts_env, database_url):
    """A stack on SQLite, and on PostgreSQL when STEPLINE_TEST_DATABASE_URL is set."""
    async with running_stack(ts_env, database_url=database_url) as running:
        yield running


@pytest.fixture(scope="session", autouse=True)
async def _tasks_left_running():
    """At the end of a session, what tests left running in its event loop is cancelled here,
    with a deadline. A task that does not stop is reported with its stack (so that it can be
    fixed) and left out of the loop's own closing, which would otherwise wait for it for ever
    and hang the run (seen once: an xdist worker waiting in asyncio's _cancel_all_tasks)."""
    yield
    me = asyncio.current_task()
    left = [task for task in asyncio.all_tasks() if task is not me and not task.done()]
    for task in left:
        task.cancel()
    if not left:
        return
    _done, stuck = await asyncio.wait(left, timeout=15)
    for task in stuck:
        sys.__stderr__.write(f"\nstill running after its cancel, left behind: {task!r}\n")
        task.print_stack(file=sys.__stderr__)
        unregister = getattr(asyncio.tasks, "_unregister_task", None)
        if unregister is not None:
            unregister(task)


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[_EXIT] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """sdk-python#300: after a Temporal client was used, the interpreter may abort while
    finalizing (exit 134/139) although every test passed. Leave with pytest's own exit status
    once everything is reported, before finalization can change it."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(config.stash.get(_EXIT, 0))
