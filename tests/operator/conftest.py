import pytest

from tests.support.stack import running_stack


@pytest.fixture(scope="module")
async def shared(ts_env, tmp_path_factory):
    """One stack for the module: the operator's pages look at their own rows."""
    url = f"sqlite:///{tmp_path_factory.mktemp('operator')}/stepline.db"
    async with running_stack(ts_env, database_url=url) as running:
        yield running
