"""Where the dev runner left its servers, so other `stepline` commands find them."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_FILE = ROOT / ".stepline" / "dev.json"


@dataclass
class DevState:
    api_url: str
    admin_token: str
    emulator_url: str | None
    temporal_ui_url: str


def save(state: DevState, path: Path = STATE_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(state), indent=2))


def load(path: Path = STATE_FILE) -> DevState | None:
    try:
        return DevState(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def forget(path: Path = STATE_FILE) -> None:
    path.unlink(missing_ok=True)
