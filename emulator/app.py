"""The LINE emulator as one FastAPI app: LINE's endpoints plus /emulator controls."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from core.browser_guard import EMULATOR_CSP, BrowserGuard
from emulator import chat, control, coupons, line_api, login, login_tokens, reply, richmenus
from emulator.config import EmulatorConfig
from emulator.middleware import DropConnectionMiddleware, RequestIdMiddleware
from emulator.persist import SaveAfterRequests, Saver, load
from emulator.state import EmulatorState

__all__ = ["EmulatorConfig", "create_app"]


def create_app(config: EmulatorConfig) -> FastAPI:
    """An emulated channel; its state is `app.state.emulator` (an EmulatorState): fresh, or
    read from `config.state_file` and kept there until the app stops."""
    state = EmulatorState(config)
    saver = None
    if config.state_file is not None:
        load(state, config.state_file)
        saver = Saver(state, config.state_file)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if saver is not None:
                await saver.close()

    app = FastAPI(
        title="LINE Messaging API and LINE Login emulator",
        description="Each friend's chat, as LINE would show it: [/emulator/chat](/emulator/chat)",
        docs_url="/emulator/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.emulator = state
    app.include_router(line_api.router)
    app.include_router(reply.router)
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
    if saver is not None:
        app.add_middleware(SaveAfterRequests, saver=saver)
    app.add_middleware(DropConnectionMiddleware)
    app.add_middleware(BrowserGuard, cacheable=("/emulator/static/",), csp=EMULATOR_CSP)
    app.add_middleware(RequestIdMiddleware)  # added last = outermost: every answer gets the id
    return app
