"""Child processes for the fault tests and the benchmark: the Temporal dev server (stopped and
started again on the same SQLite file), the worker (killed with SIGKILL, started again), the API."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path

from cli.dev_temporal import temporal_command
from cli.devstate import ROOT
from core.serve import free_port


class Process:
    """One child process, its output appended to a log file; started again on demand."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path):
        self.name, self.command, self.env, self.log = name, command, env, log
        self.child: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        assert self.child is None or self.child.poll() is not None, f"{self.name} is running"
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts + 1}\n".encode())
            self.child = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind, as when a machine dies."""
        assert self.child is not None and self.child.poll() is None, f"{self.name} is not running"
        self.child.send_signal(signal.SIGKILL)
        self.child.wait()

    def stop(self, timeout: float = 20.0) -> None:
        if self.child is None or self.child.poll() is not None:
            return
        self.child.send_signal(signal.SIGTERM)
        try:
            self.child.wait(timeout)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()

    def check_alive(self) -> None:
        assert self.child is not None and self.child.poll() is None, (
            f"{self.name} exited with {self.child and self.child.returncode}:\n{self.tail()}"
        )

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def temporal_server(folder: Path) -> tuple[Process, str]:
    """The dev server on a SQLite file in `folder`; its address."""
    port = free_port()
    command = temporal_command(port=port, ui_port=free_port(), db_file=folder / "temporal.db")
    return Process("temporal", command, dict(os.environ), folder / "temporal.log"), (
        f"127.0.0.1:{port}"
    )


async def temporal_and_line(exits: AsyncExitStack, folder: Path) -> tuple[str, int]:
    """The dev server and the LINE stand-in, started (and stopped with `exits`): the
    server's address and the stand-in's port."""
    server, address = temporal_server(folder)
    server.start()
    exits.callback(server.stop)
    await asyncio.to_thread(wait_for_port, address, server)
    line_port = free_port()
    command = [sys.executable, "-m", "bench.standin", "--port", str(line_port)]
    standin = Process("line", command, {}, folder / "line.log")
    standin.start()
    exits.callback(standin.stop)
    return address, line_port


def worker(folder: Path, env: dict[str, str]) -> Process:
    """`python worker.py`, the way it runs in production."""
    return Process(
        "worker", [sys.executable, "worker.py"], dict(os.environ) | env, folder / "worker.log"
    )


def api(folder: Path, env: dict[str, str], port: int) -> Process:
    """The API under uvicorn, the way it runs in production."""
    command = [
        sys.executable, "-m", "uvicorn", "api.app:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    return Process("api", command, dict(os.environ) | env, folder / "api.log")


def wait_for_port(address: str, process: Process, timeout: float = 60.0) -> None:
    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.check_alive()
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, int(port))) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"{process.name} not listening on {address}:\n{process.tail()}")
