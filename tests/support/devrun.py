"""`stepline dev` — the README's run command — as a test fixture: its own process on free
ports and a fresh state folder, stopped with Ctrl-C (SIGINT) at the end."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cli.dev import DevRunner
from core.serve import free_port

PORTS = ("api", "temporal", "ui", "emulator", "metrics", "sdk-metrics")


@dataclass
class DevRun:
    process: subprocess.Popen
    ports: dict[str, int]
    state: Path
    log: Path

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['emulator']}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def dev_runner(state_dir: Path, **options) -> DevRunner:
    """A DevRunner on fixed ports that nothing is started on (tests of what it would do)."""
    return DevRunner(
        api_port=18000,
        temporal_port=17233,
        ui_port=18233,
        emulator_port=18001,
        examples=False,
        state_dir=state_dir,
        **options,
    )


@contextmanager
def dev_run(
    folder: Path,
    *,
    examples: bool,
    options: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Iterator[DevRun]:
    """Started once `stepline dev` has written dev.json (everything up, examples loaded);
    `options` and `env` added to its command line and its environment."""
    ports = {name: free_port() for name in PORTS}
    given = env or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STEPLINE_", "LINE_"))}
    env.update(given)
    state = folder / "state"
    command = [
        sys.executable, "-m", "cli.main", "dev", "--state-dir", str(state),
        "--examples" if examples else "--no-examples",
        "--api-port", str(ports["api"]), "--temporal-port", str(ports["temporal"]),
        "--ui-port", str(ports["ui"]), "--emulator-port", str(ports["emulator"]),
        "--metrics-port", str(ports["metrics"]), "--sdk-metrics-port", str(ports["sdk-metrics"]),
        *options,
    ]  # fmt: skip
    log = folder / "dev.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        run = DevRun(process, ports, state, log)
        try:
            deadline = time.monotonic() + 90
            while not (state / "dev.json").exists():
                assert process.poll() is None, run.output()
                assert time.monotonic() < deadline, run.output()
                time.sleep(0.2)
            yield run
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
