"""4xx answers that name the field: `{"detail": [{"path": "steps[2].window.start", "msg", "type"}]}`."""

import json

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from scenarios.validate import DefinitionError, document_path


def _body(request_body) -> object:
    if isinstance(request_body, bytes | str):
        try:
            return json.loads(request_body)
        except ValueError:
            return None
    return request_body


def _path(loc: tuple, body: object) -> str:
    where, rest = (loc[0], tuple(loc[1:])) if loc else ("body", ())
    if where == "body":
        return document_path(rest, body) if rest else "(body)"
    return ".".join(str(part) for part in rest) or str(where)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        body = _body(exc.body)
        detail = [
            {
                "path": _path(tuple(err["loc"]), body),
                "msg": str(err["msg"]).removeprefix("Value error, "),
                "type": err["type"],
            }
            for err in exc.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(DefinitionError)
    async def _definition(request: Request, exc: DefinitionError) -> JSONResponse:
        return JSONResponse({"detail": exc.errors}, status_code=422)
