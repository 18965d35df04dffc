"""The LINE emulator as one FastAPI app: LINE's endpoints plus /emulator controls."""

from fastapi import FastAPI

from emulator import control, line_api, login
from emulator.config import EmulatorConfig
from emulator.middleware import DropConnectionMiddleware, RequestIdMiddleware
from emulator.state import EmulatorState

__all__ = ["EmulatorConfig", "create_app"]


def create_app(config: EmulatorConfig) -> FastAPI:
    """A fresh emulated channel; its state is `app.state.emulator` (an EmulatorState)."""
    app = FastAPI(
        title="LINE Messaging API and LINE Login emulator",
        docs_url="/emulator/docs",
        redoc_url=None,
    )
    app.state.emulator = EmulatorState(config)
    app.include_router(line_api.router)
    app.include_router(control.router)
    app.include_router(login.router)
    app.add_middleware(DropConnectionMiddleware)
    app.add_middleware(RequestIdMiddleware)  # added last = outermost: every answer gets the id
    return app
