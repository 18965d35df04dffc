"""4xx answers that name the field: `{"detail": [{"path": "steps[2].window.start", "msg", "type"}]}`."""

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from scenarios.validate import DefinitionError, error_path


def _no_constants(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


class _StrictJSONRequest(Request):
    async def json(self) -> Any:
        # Python's json module takes NaN and Infinity, which JSON does not have (PostgreSQL's
        # JSON columns refuse them, and answers could not be rendered); NUL is refused too
        if not hasattr(self, "_json"):
            body = await self.body()
            if b"\\u0000" in body.lower():  # PostgreSQL text cannot hold NUL
                raise json.JSONDecodeError(
                    "NUL characters (\\u0000) are not allowed",
                    body.decode(errors="replace"),
                    body.lower().index(b"\\u0000"),
                )
            self._json = json.loads(body, parse_constant=_no_constants)
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
        except ValueError:
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


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        body = _body(exc.body)
        detail = [
            {
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
