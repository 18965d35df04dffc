"""4xx answers that name the field: `{"detail": [{"path": "steps[2].window.start", "msg", "type"}]}`."""

import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from app.errors import Conflict, Invalid, NotFound
from scenarios.validate import DefinitionError, error_path

MAX_DEPTH = 100  # arrays and objects within each other: far below what answers can render


def _no_constants(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: Python would read infinity
        raise ValueError(text)
    return value


def _too_deep(value: Any) -> bool:
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                return True
            children = node.values() if isinstance(node, dict) else node
            pending.extend((child, depth + 1) for child in children)
    return False


def finite_json(text: str | bytes) -> Any:
    """json.loads for standard JSON: NaN, Infinity, and numbers beyond a 64-bit float (1e400,
    which Python reads as infinity) raise ValueError."""
    return json.loads(text, parse_constant=_no_constants, parse_float=_finite)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: Any) -> Any:
    """A parsed JSON document with each NUL and lone surrogate (`"\\ud800"`, half of a UTF-16
    pair: no UTF-8 text holds one) replaced by U+FFFD, in keys and values: what LINE sends is
    stored as text any page can show, never refused (LINE would redeliver it for nothing)."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    return value


def _lone_surrogate(body: bytes, value: Any) -> bool:
    """Whether a string of the document holds half of a UTF-16 surrogate pair (`"\\ud800"`):
    no UTF-8 text can, so it could be stored but never sent back."""
    if body.isascii() and b"\\u" not in body:
        return False
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return True
    return False


def _invalid(message: str, body: bytes, position: int = 0) -> json.JSONDecodeError:
    return json.JSONDecodeError(message, body.decode(errors="replace"), position)


def _parse(body: bytes) -> Any:
    """Standard JSON only: no NaN or Infinity, no number beyond a 64-bit float, no NUL
    and no lone surrogate (PostgreSQL's JSON columns refuse them, and answers could not be
    rendered), at most MAX_DEPTH levels deep (deeper documents could be stored but not read
    back)."""
    if b"\\u0000" in body.lower():
        position = body.lower().index(b"\\u0000")
        raise _invalid("NUL characters (\\u0000) are not allowed", body, position)
    too_deep = f"arrays and objects nested more than {MAX_DEPTH} levels deep"
    try:
        value = finite_json(body)
    except json.JSONDecodeError:
        raise
    except UnicodeDecodeError as exc:
        raise _invalid("not UTF-8 text", body, exc.start) from None
    except RecursionError:
        raise _invalid(too_deep, body) from None
    except ValueError:  # 1e400 (infinity to Python), or an integer of over 4,300 digits
        raise _invalid("a number is too large", body) from None
    if _too_deep(value):
        raise _invalid(too_deep, body)
    if _lone_surrogate(body, value):
        raise _invalid("a string holds a lone surrogate (\\ud800 to \\udfff), not text", body)
    return value


class _StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = _parse(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """Routes whose JSON bodies are standard JSON: NaN or Infinity is a 422 like any bad JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictJSONRequest(request.scope, request.receive))

        return strict


def _body(request_body) -> object:
    if isinstance(request_body, bytes | str):
        try:
            return json.loads(request_body)
        except (ValueError, RecursionError):  # the body that was not JSON: no path in it
            return None
    return request_body


def _path(err: dict, body: object) -> str:
    loc = tuple(err["loc"])
    if err["type"] == "json_invalid":
        return "(body)"
    where, rest = (loc[0], loc[1:]) if loc else ("body", ())
    if where == "body":
        return error_path({**err, "loc": rest}, body) if rest else "(body)"
    return ".".join(str(part) for part in rest) or str(where)


def _message(err: dict) -> str:
    if err["type"] == "json_invalid":
        return f"not valid JSON: {(err.get('ctx') or {}).get('error', 'cannot be parsed')}"
    return str(err["msg"]).removeprefix("Value error, ")


def unprocessable(path: str, msg: str, kind: str = "value_error") -> HTTPException:
    """A 422 in the shape of every other one: `{"detail": [{path, msg, type}]}`."""
    return HTTPException(422, detail=[{"path": path, "msg": msg, "type": kind}])


# what a 422 lists, as the OpenAPI description tells (FastAPI's own says `loc`, not `path`)
PROBLEM_SCHEMA = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "path": {"title": "Path", "type": "string", "examples": ["steps[2].window.start"]},
        "msg": {"title": "Message", "type": "string"},
        "type": {"title": "Error Type", "type": "string"},
    },
    "required": ["path", "msg", "type"],
}


def _describe_problems(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schemas = FastAPI.openapi(app).get("components", {}).get("schemas", {})
            if "ValidationError" in schemas:
                schemas["ValidationError"] = PROBLEM_SCHEMA
        return app.openapi_schema

    app.openapi = openapi


def _json_type(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def not_json(request: Request, exc: RequestValidationError) -> str | None:
    """What to say when a JSON body came with another content type (curl's `-d` sends
    `application/x-www-form-urlencoded`): FastAPI then validates the raw bytes, and pydantic's
    "Input should be a valid dictionary" says nothing of why. FastAPI reads JSON only when
    the request says it is (`strict_content_type`); with no content type at all, it is said so.
    None for a JSON content type (FastAPI parsed the body, or said it is not valid JSON)."""
    content_type = request.headers.get("content-type", "")
    if _json_type(content_type) or not isinstance(exc.body, bytes | str):
        return None
    got = content_type or "no Content-Type"
    return f"expected JSON (Content-Type: application/json), got {got}"


def install(app: FastAPI) -> None:
    _describe_problems(app)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        body = _body(exc.body)
        wrong_type = not_json(request, exc)
        detail = [
            {"path": "(body)", "msg": wrong_type, "type": "json_expected"}
            # the whole body refused (a form route's problems name its fields instead)
            if wrong_type is not None and tuple(err["loc"]) == ("body",)
            else {
                "path": _path(err, body),
                "msg": _message(err),
                "type": err["type"],
            }
            for err in exc.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(DefinitionError)
    async def _definition(request: Request, exc: DefinitionError) -> JSONResponse:
        return JSONResponse({"detail": exc.errors}, status_code=422)

    # what the application services refuse (app/errors.py), in their words
    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(Invalid)
    async def _invalid(request: Request, exc: Invalid) -> JSONResponse:
        return JSONResponse({"detail": exc.problems}, status_code=422)
