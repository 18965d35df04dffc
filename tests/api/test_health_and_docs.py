"""GET /healthz (liveness) and GET /readyz (readiness), and the OpenAPI description of the
admin API."""

import asyncio
import socket
import time
from contextlib import asynccontextmanager

import httpx
from alembic import command
from sqlalchemy import text
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.app import create_app
from core.serve import free_port, serving
from store.db import Database
from store.migrate import alembic_config
from tests.support.stack import settings_for

PUBLIC = {
    ("POST", "/webhooks/line"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/r/{token}"),
}


async def test_readyz_is_200_when_everything_answers(shared):
    async with httpx.AsyncClient(base_url=str(shared.api.base_url)) as anonymous:
        answer = await anonymous.get("/readyz")
        alive = await anonymous.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "database": "ok",
        "temporal": "ok",
        "migrations": "ok",
        "changes": {"pending": 0, "oldest_seconds": 0.0, "failing_since": None, "last_error": None},
    }
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})


@asynccontextmanager
async def api_on(tmp_path, *, temporal: Client | None = None, port: int | None = None):
    """The API on a SQLite file of its own, its Temporal client `temporal` (or one for a
    closed port); yields the app and an anonymous client."""
    if temporal is None:
        temporal = await Client.connect(
            f"127.0.0.1:{port or free_port()}", data_converter=pydantic_data_converter, lazy=True
        )
    settings = settings_for(
        database_url=f"sqlite:///{tmp_path}/stepline.db", line_api="http://127.0.0.1:9"
    )
    app = create_app(settings, temporal=temporal)
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield app, client


async def timed(client: httpx.AsyncClient, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = await client.get(path)
    return answer, time.monotonic() - started


async def test_healthz_is_200_while_temporal_is_down_and_readyz_503_naming_it(tmp_path, caplog):
    port = free_port()
    async with api_on(tmp_path, port=port) as (_app, client):
        alive, _ = await timed(client, "/healthz")
        answer, elapsed = await timed(client, "/readyz")
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})  # no restart for it
    assert answer.status_code == 503
    body = answer.json()
    assert body["detail"] == "temporal unreachable"
    assert (body["database"], body["temporal"], body["migrations"]) == ("ok", "unreachable", "ok")
    assert str(port) not in answer.text  # anyone may ask: no address, no error text
    logged = [r.getMessage() for r in caplog.records if r.name == "stepline.health"]
    assert any("temporal unreachable: " in line for line in logged), logged  # the log has it
    assert elapsed < 5, f"/readyz took {elapsed:.1f} s"


async def test_readyz_does_not_wait_for_a_temporal_that_never_answers(tmp_path):
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        async with api_on(tmp_path, port=silent.getsockname()[1]) as (_app, client):
            answer, elapsed = await timed(client, "/readyz")
            alive, quick = await timed(client, "/healthz")
    assert answer.status_code == 503
    body = answer.json()
    assert body.pop("changes")["pending"] == 0
    assert body == {
        "status": "unavailable",
        "detail": "temporal unreachable",
        "database": "ok",
        "temporal": "unreachable",
        "migrations": "ok",
    }
    assert elapsed < 5, f"/readyz took {elapsed:.1f} s"  # 2 s at most per check, at once
    assert alive.status_code == 200 and quick < 1


async def test_readyz_is_503_naming_the_database_when_it_does_not_answer(ts_env, tmp_path):
    port = free_port()  # nobody listens: a PostgreSQL server that is down
    down = Database(f"postgresql://stepline:secret@127.0.0.1:{port}/stepline")
    try:
        async with api_on(tmp_path, temporal=ts_env.client) as (app, client):
            app.state.services.db = down
            answer, elapsed = await timed(client, "/readyz")
            alive = await client.get("/healthz")
    finally:
        await down.close()
    assert answer.status_code == 503
    body = answer.json()
    assert body == {
        "status": "unavailable",
        "detail": "database unreachable",
        "database": "unreachable",
        "temporal": "ok",
        "migrations": "unknown",
    }
    assert str(port) not in answer.text and "secret" not in answer.text
    assert elapsed < 5, f"/readyz took {elapsed:.1f} s"
    assert alive.status_code == 200


async def test_readyz_excluding_temporal_stays_200_while_it_is_down(tmp_path):
    """The API takes webhooks and changes while Temporal is away (they wait in the outbox):
    the load balancer in front of it asks `exclude=temporal` and keeps sending them."""
    async with api_on(tmp_path) as (_app, client):
        answer = await client.get("/readyz", params={"exclude": "temporal"})
        both = await client.get("/readyz?exclude=temporal&exclude=migrations")
        wrong = await client.get("/readyz", params={"exclude": "redis"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["temporal"], body["database"]) == ("ok", "unreachable", "ok")
    assert both.status_code == 200
    assert wrong.status_code == 422
    assert "exclude" in wrong.text


async def test_readyz_is_503_while_the_schema_is_one_migration_behind(ts_env, tmp_path):
    async with api_on(tmp_path, temporal=ts_env.client) as (_app, client):
        assert (await client.get("/readyz")).status_code == 200  # migrated on start
        config = alembic_config(f"sqlite:///{tmp_path}/stepline.db")
        await asyncio.to_thread(command.downgrade, config, "-1")
        behind = await client.get("/readyz")
        await asyncio.to_thread(command.upgrade, config, "head")
        again = await client.get("/readyz")
    assert behind.status_code == 503
    body = behind.json()
    assert body["detail"] == "migrations not at head"
    assert (body["database"], body["temporal"], body["migrations"]) == ("ok", "ok", "not at head")
    assert again.status_code == 200 and again.json()["migrations"] == "ok"


async def test_readyz_is_503_shutting_down_once_the_app_stops(ts_env, tmp_path):
    settings = settings_for(
        database_url=f"sqlite:///{tmp_path}/stepline.db", line_api="http://127.0.0.1:9"
    )
    app = create_app(settings, temporal=ts_env.client)
    transport = httpx.ASGITransport(app=app)
    during: list[httpx.Response] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        async with app.router.lifespan_context(app):
            assert (await client.get("/readyz")).status_code == 200
            writer = app.state.services.webhook_writer
            close = writer.close

            async def closing() -> None:  # a step of the shutdown: ask while it runs
                during.extend([await client.get("/readyz"), await client.get("/healthz")])
                await close()

            writer.close = closing
    ready, alive = during
    assert (ready.status_code, ready.json()) == (
        503,
        {"status": "unavailable", "detail": "shutting down"},
    )
    assert alive.status_code == 200  # still alive: stopping is not hanging


async def test_docs_and_openapi_load(shared):
    docs = await shared.api.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    redoc = await shared.api.get("/redoc")
    assert redoc.status_code == 200 and "redoc" in redoc.text
    for page in (docs, redoc):  # served from here: the pages work offline (tests/browser)
        assert "https://" not in page.text, page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        assert (await shared.api.get(f"/static/docs/{asset}")).status_code == 200, asset
    schema = await shared.api.get("/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "stepline"


async def test_every_admin_route_declares_bearer_security(shared):
    schema = (await shared.api.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "description": "STEPLINE_ADMIN_TOKEN",
        "scheme": "bearer",
    }
    operations = {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert PUBLIC <= set(operations)  # the probes are described too
    admin = {key: op for key, op in operations.items() if key not in PUBLIC}
    assert len(admin) >= 15
    for (method, path), operation in sorted(admin.items()):
        assert operation.get("security") == [{"HTTPBearer": []}], f"{method} {path}"
    for key in PUBLIC:
        assert "security" not in operations[key], key


async def test_readyz_stays_200_on_a_schema_a_newer_release_migrated(ts_env, tmp_path):
    """A rolling upgrade: the first new pod migrated; the pods of the release before still
    serve (migrations stay compatible with it), so they stay ready."""
    async with api_on(tmp_path, temporal=ts_env.client) as (app, client):
        async with app.state.services.db.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        newer = await client.get("/readyz")
    assert newer.status_code == 200, newer.text
    assert newer.json()["migrations"] == "ok"
