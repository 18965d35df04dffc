"""Where the dev runner left its servers, so other `stepline` commands find them."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_FILE = ROOT / ".stepline" / "dev.json"
EMULATOR_STATE = "emulator.json"  # the LINE emulator's friends, chats, coupons … (in the folder)
APP_DATABASE = "stepline.db"  # the app database when STEPLINE_DATABASE_URL is not set
TEMPORAL_DATABASE = "temporal.db"
# a database file with its SQLite side files and the app's lock files (store/turns.py, migrate.py)
SQLITE_SIDES = ("", "-wal", "-shm", "-journal", "-turn", ".migrate-lock")


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


def fresh_files(state_dir: Path, database_url: str) -> list[Path]:
    """What `stepline dev --fresh` removes from `state_dir`: Temporal's database, the
    emulator's state and — when it is the folder's SQLite file — the app database, each with
    its SQLite side files; never anything else."""
    names = [TEMPORAL_DATABASE, EMULATOR_STATE]
    if is_folder_database(state_dir, database_url):
        names.append(APP_DATABASE)
    found = [state_dir / f"{name}{side}" for name in names for side in SQLITE_SIDES]
    found += sorted(state_dir.glob(f".{EMULATOR_STATE}.*.tmp"))  # a write cut short
    return [path for path in found if path.exists()]


def is_folder_database(state_dir: Path, database_url: str) -> bool:
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        return False
    path = Path(database_url.removeprefix(prefix).split("?")[0])
    path = path if path.is_absolute() else ROOT / path  # the processes run in ROOT
    return path.resolve() == (state_dir / APP_DATABASE).resolve()


def clear(state_dir: Path, database_url: str) -> list[str]:
    """`stepline dev --fresh`: remove Temporal's history, the emulator's state and the app
    database (when it is the folder's SQLite file; another one is the operator's and stays),
    so that no enrollment, friend or chat of an earlier run is left half-remembered. Answers
    what to tell the user."""
    removed = fresh_files(state_dir, database_url)
    for path in removed:
        path.unlink(missing_ok=True)
    names = ", ".join(
        dict.fromkeys(
            path.name.split("-")[0].removesuffix(".migrate")
            for path in removed
            if path.name[0] != "."
        )
    )  # temporal.db for temporal.db-wal too
    lines = [f"stepline dev --fresh: removed {names or 'nothing'} from {state_dir}"]
    if not is_folder_database(state_dir, database_url):
        lines.append("  kept the database STEPLINE_DATABASE_URL names: clear it yourself")
    return lines


def running(path: Path = STATE_FILE) -> bool:
    """Whether the run that wrote `path` still answers (a run killed leaves the file)."""
    state = load(path)
    if state is None:
        return False
    import httpx  # only here: other commands start without it

    try:
        return httpx.get(f"{state.api_url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
