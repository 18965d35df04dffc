import pytest

from tests.support.stack import running_stack


@pytest.fixture(scope="module")
async def shared(ts_env, tmp_path_factory):
    """One stack for a whole module, for tests that only look at answers and the rows they
    touch themselves (cheaper than a stack per test)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('shared')}/stepline.db"
    async with running_stack(ts_env, database_url=url) as running:
        yield running
