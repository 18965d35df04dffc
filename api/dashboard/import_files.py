"""A CSV import's file kept between its dry run and the operator's confirmation (the browser
cannot send a chosen file twice): in this machine's temporary folder, under a random name, for
an hour; then its result in place of it. One API process serves the dashboard's import."""

import json
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

FOLDER = Path(tempfile.gettempdir()) / "stepline-dashboard-imports"
KEPT_SECONDS = 3600
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


def _paths(upload_id: str) -> tuple[Path, Path] | None:
    if not UPLOAD_ID.match(upload_id):
        return None
    return FOLDER / f"{upload_id}.csv", FOLDER / f"{upload_id}.json"


def _forget_old() -> None:
    now = time.time()
    for path in FOLDER.glob("*"):
        try:
            if now - path.stat().st_mtime > KEPT_SECONDS:
                path.unlink()
        except OSError:
            pass  # another request removed it first


def keep(data: bytes, facts: dict[str, Any]) -> str:
    """The file kept with what its dry run found; its id."""
    FOLDER.mkdir(mode=0o700, exist_ok=True)
    _forget_old()
    upload_id = secrets.token_hex(16)
    data_path, facts_path = _paths(upload_id)  # type: ignore[misc]
    data_path.write_bytes(data)
    data_path.chmod(0o600)
    facts_path.write_text(json.dumps(facts))
    return upload_id


def facts(upload_id: str) -> dict[str, Any] | None:
    """What the dry run found (and, once imported, `result`); None when nothing is kept."""
    paths = _paths(upload_id)
    if paths is None or not paths[1].exists():
        return None
    return json.loads(paths[1].read_text())


def data(upload_id: str) -> bytes | None:
    paths = _paths(upload_id)
    if paths is None or not paths[0].exists():
        return None
    return paths[0].read_bytes()


def imported(upload_id: str, result: dict[str, Any]) -> None:
    """The import's result kept in place of its file."""
    data_path, facts_path = _paths(upload_id)  # type: ignore[misc]
    found = facts(upload_id) or {}
    facts_path.write_text(json.dumps(found | {"result": result}))
    data_path.unlink(missing_ok=True)
