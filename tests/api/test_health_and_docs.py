"""GET /healthz, and the OpenAPI description of the admin API."""

import socket
import time

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.app import create_app
from core.serve import free_port, serving
from tests.support.stack import settings_for

PUBLIC = {("POST", "/webhooks/line"), ("GET", "/healthz"), ("GET", "/r/{token}")}


async def test_healthz_is_200_when_everything_answers(shared):
    async with httpx.AsyncClient(base_url=str(shared.api.base_url)) as anonymous:
        answer = await anonymous.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "database": "ok",
        "temporal": "ok",
        "changes": {"pending": 0, "oldest_seconds": 0.0, "failing_since": None, "last_error": None},
    }


async def healthz_with_temporal_at(port: int, tmp_path) -> tuple[httpx.Response, float]:
    temporal = await Client.connect(
        f"127.0.0.1:{port}", data_converter=pydantic_data_converter, lazy=True
    )
    settings = settings_for(
        database_url=f"sqlite:///{tmp_path}/stepline.db", line_api="http://127.0.0.1:9"
    )
    async with serving(create_app(settings, temporal=temporal)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            started = time.monotonic()
            answer = await client.get("/healthz")
            return answer, time.monotonic() - started


async def test_healthz_is_503_naming_temporal_when_its_port_is_closed(tmp_path, caplog):
    port = free_port()
    answer, elapsed = await healthz_with_temporal_at(port, tmp_path)
    assert answer.status_code == 503
    body = answer.json()
    assert body["detail"] == "temporal unreachable"
    assert body["database"] == "ok"
    assert body["temporal"] == "unreachable"  # anyone may ask: no address, no error text
    assert str(port) not in answer.text
    logged = [r.getMessage() for r in caplog.records if r.name == "stepline.health"]
    assert any("temporal unreachable: " in line for line in logged), logged  # the log has it
    assert elapsed < 5, f"/healthz took {elapsed:.1f} s"


async def test_healthz_does_not_wait_for_a_temporal_that_never_answers(tmp_path):
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        answer, elapsed = await healthz_with_temporal_at(silent.getsockname()[1], tmp_path)
    assert answer.status_code == 503
    body = answer.json()
    assert body.pop("changes")["pending"] == 0
    assert body == {
        "status": "unavailable",
        "detail": "temporal unreachable",
        "database": "ok",
        "temporal": "unreachable",
    }
    assert elapsed < 5, f"/healthz took {elapsed:.1f} s"


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
    assert PUBLIC <= set(operations)
    admin = {key: op for key, op in operations.items() if key not in PUBLIC}
    assert len(admin) >= 15
    for (method, path), operation in sorted(admin.items()):
        assert operation.get("security") == [{"HTTPBearer": []}], f"{method} {path}"
    for key in PUBLIC:
        assert "security" not in operations[key], key
