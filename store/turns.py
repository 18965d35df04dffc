"""Whose turn it is to write a SQLite file.

SQLite takes one writer at a time, and its busy handler makes waiters sleep and poll with
growing pauses (up to 100 ms), so under a burst — hundreds of activities in the worker, a
webhook in the API — one waiter can lose every round until its timeout, and a process whose
writers follow one another closely can keep another process out altogether. Writers here take
a turn first instead, in their database driver thread (never the event loop):

- in this process, one thread at a time (a thread lock);
- among processes, two byte locks on `<file>-turn`: a waiter passes the gate, then waits for the
  file, and lets the gate go once it holds the file. A process that has just written cannot
  write again while another process waits at the file, so processes take turns in strict
  alternation whenever more than one wants to write."""

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable

BUSY_SECONDS = 30  # how long a transaction waits for its turn before "database is locked"
FILE, GATE = 0, 1  # the byte locks of the turn file
POLL = 0.001


class Turn:
    def __init__(self, path: str | None):
        self.path = f"{path}-turn" if path else None  # None: an in-memory database
        self.thread_lock = threading.Lock()
        self.fd: int | None = None

    def take(self) -> None:
        deadline = time.monotonic() + BUSY_SECONDS
        if not self.thread_lock.acquire(timeout=BUSY_SECONDS):
            raise sqlite3.OperationalError("database is locked (by this process)")
        try:
            if self.path is None:
                return
            if self.fd is None:
                self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
            self._lock(GATE, deadline)
            try:
                self._lock(FILE, deadline)
            finally:
                self._unlock(GATE)
        except BaseException:
            self.thread_lock.release()
            raise

    def give(self) -> None:
        if self.fd is not None:
            self._unlock(FILE)
        self.thread_lock.release()

    def _lock(self, byte: int, deadline: float) -> None:
        while not _try(lambda: fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, byte)):
            if time.monotonic() > deadline:
                raise sqlite3.OperationalError("database is locked (by another process)")
            time.sleep(POLL)

    def _unlock(self, byte: int) -> None:
        fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, byte)


def _try(lock: Callable[[], None]) -> bool:
    try:
        lock()
        return True
    except OSError:  # EAGAIN / EACCES: another process holds it
        return False


_turns: dict[str, Turn] = {}
_guard = threading.Lock()


def turn_for(path: str | None) -> Turn:
    """The one Turn of this process for a database file."""
    with _guard:
        return _turns.setdefault(path or ":memory:", Turn(path))
