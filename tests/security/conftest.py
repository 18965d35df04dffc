"""The module-wide stack of tests/api, and the route-link stack, for these tests too."""

from tests.api.conftest import shared  # noqa: F401
from tests.api.test_join import join_stack  # noqa: F401
