"""How a bench command ends: its exit code, without Python's finalizing (sdk-python#300: a
process that used a Temporal client may abort there)."""

import os
import sys
import traceback

import typer


def main(app: typer.Typer, name: str) -> None:
    try:
        app(standalone_mode=False)
        code = 0
    except typer.Exit as exc:
        code = exc.exit_code
    except Exception:  # noqa: BLE001 - the whole story, then the exit code
        sys.stderr.write(f"{name} failed:\n{traceback.format_exc()}")
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
