"""How a bench command ends: its figures published, its exit code, without Python's
finalizing (sdk-python#300: a process that used a Temporal client may abort there)."""

import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import typer

from core import exits


def main(app: typer.Typer, name: str) -> None:
    try:
        app(standalone_mode=False)
        code = 0
    except typer.Exit as exc:
        code = exc.exit_code
    except Exception:  # noqa: BLE001 - the whole story, then the exit code
        sys.stderr.write(f"{name} failed:\n{traceback.format_exc()}")
        code = 1
    exits.leave(code)


def publish(figures: dict, result: Path, write_doc: Callable[[dict], None] | None) -> None:
    """A bench command's figures: to its JSON file, into docs/PERFORMANCE.md when asked
    (`write_doc`), and on the screen."""
    result.parent.mkdir(parents=True, exist_ok=True)
    result.write_text(json.dumps(figures, indent=2) + "\n")
    if write_doc is not None:
        write_doc(figures)
    typer.echo(json.dumps(figures, indent=2))
