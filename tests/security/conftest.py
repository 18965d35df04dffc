"""The module-wide stack of tests/api, for these tests too."""

from tests.api.conftest import shared  # noqa: F401
