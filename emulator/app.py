"""The LINE emulator as one FastAPI app: LINE's endpoints plus /emulator controls."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from core.browser_guard import EMULATOR_CSP, BrowserGuard
from emulator import chat, control, coupons, line_api, login, login_tokens, richmenus
from emulator.config import EmulatorConfig
from emulator.middleware import DropConnectionMiddleware, RequestIdMiddleware
from emulator.state import EmulatorState

__all__ = ["EmulatorConfig", "create_app"]


def create_app(config: EmulatorConfig) -> FastAPI:
    """A fresh emulated channel; its state is `app.state.emulator` (an EmulatorState)."""
    app = FastAPI(
        title="LINE Messaging API and LINE Login emulator",
        description="Each friend's chat, as LINE would show it: [/emulator/chat](/emulator/chat)",
        docs_url="/emulator/docs",
        redoc_url=None,
    )
    app.state.emulator = EmulatorState(config)
    app.include_router(line_api.router)
    app.include_router(coupons.router)
    app.include_router(coupons.control)
    app.include_router(richmenus.router)
    app.include_router(richmenus.control)
    app.include_router(control.router)
    app.include_router(login.router)
    app.include_router(login_tokens.router)
    app.include_router(chat.router)
    app.include_router(chat.root)
    app.mount("/emulator/static", StaticFiles(directory=chat.STATIC), name="emulator-static")
    app.add_middleware(DropConnectionMiddleware)
    app.add_middleware(BrowserGuard, cacheable=("/emulator/static/",), csp=EMULATOR_CSP)
    app.add_middleware(RequestIdMiddleware)  # added last = outermost: every answer gets the id
    return app
