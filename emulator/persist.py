"""The emulator's state in a file (`python -m emulator --state-file …`; `stepline dev` uses
`.stepline/emulator.json`): read once at start, written a moment after requests that may change
it (at most once a second) and at shutdown. Each write goes to a temporary file in the same
folder, flushed to disk, then renamed over the old one, so a crash leaves the old file or the
new one, never half of one. A file that cannot be read is ignored with one warning line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path

from emulator.snapshot import restore, snapshot
from emulator.state import EmulatorState

log = logging.getLogger("emulator")

DEBOUNCE_SECONDS = 1.0
READS = ("GET", "HEAD", "OPTIONS")


def load(state: EmulatorState, path: Path) -> bool:
    """Bring `state` back from `path`; False (clean state, one warning) on a bad file, False
    (silently) when there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("emulator: cannot read %s (%s); starting with a clean state", path, exc)
        return False
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        restore(state, data)
    except ValueError as exc:
        log.warning("emulator: ignoring %s (%s); starting with a clean state", path, exc)
        return False
    return True


def write(path: Path, data: dict) -> None:
    """Replace `path` with `data` as JSON, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, separators=(",", ":"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class Saver:
    """Writes `state` to `path` a moment after `touch()`; `flush()` writes now if anything
    changed since the last write."""

    def __init__(self, state: EmulatorState, path: Path, delay: float = DEBOUNCE_SECONDS):
        self.state, self.path, self.delay = state, path, delay
        self.dirty = False
        self._pending: asyncio.Task | None = None

    def touch(self) -> None:
        self.dirty = True
        if self._pending is None or self._pending.done():
            try:
                self._pending = asyncio.get_running_loop().create_task(self._later())
            except RuntimeError:  # no event loop: write now
                self.flush()

    async def _later(self) -> None:
        await asyncio.sleep(self.delay)
        self.flush()

    def flush(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        try:  # the snapshot is taken between awaits, so it is consistent
            write(self.path, snapshot(self.state))
        except (OSError, TypeError, ValueError) as exc:
            self.dirty = True
            log.warning("emulator: cannot write %s (%s)", self.path, exc)

    async def close(self) -> None:
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pending
        self.flush()


class SaveAfterRequests:
    """ASGI middleware: after a request that may change the state — any but a read of the
    emulator's own pages (`/emulator/…` GETs, static files) — the saver is touched."""

    def __init__(self, app, saver: Saver) -> None:
        self.app, self.saver = app, saver

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reads_only = scope["method"] in READS and scope["path"].startswith("/emulator")
        try:
            await self.app(scope, receive, send)
        finally:
            if not reads_only:
                self.saver.touch()
