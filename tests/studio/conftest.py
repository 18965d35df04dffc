import pytest

from tests.support.stack import running_stack


@pytest.fixture(scope="module")
async def shared(ts_env, tmp_path_factory):
    """One stack for the module: the studio's tests look at their own drafts and scenarios."""
    url = f"sqlite:///{tmp_path_factory.mktemp('studio')}/stepline.db"
    async with running_stack(ts_env, database_url=url) as running:
        yield running
