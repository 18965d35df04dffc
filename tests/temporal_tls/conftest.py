"""A time-skipping Temporal server behind a TLS front that asks for client certificates."""

import pytest

from tests.support.temporal import time_skipping
from tests.support.tls_proxy import tls_proxy
from tests.temporal_tls.certs import CERTS


@pytest.fixture(scope="module")
async def secured():
    """A time-skipping server behind an mTLS front: the front's address."""
    async with time_skipping() as env:
        target = env.client.service_client.config.target_host
        async with tls_proxy(target, CERTS, mutual=True) as address:
            yield address
