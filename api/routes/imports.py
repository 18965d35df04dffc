"""`POST /friends/import`: CSV bulk import of friend attributes: a file with any problem
writes nothing; a good one is merged in chunks, none holding other writers long."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from api.deps import Admin, ServicesDep, SessionDep
from api.errors import StrictJSONRoute
from api.schemas import OperationPublic, operation_ref
from app import friend_import
from store import imports
from store.import_problems import ImportInvalid, problem
from store.pipeline_tables import Operation

router = APIRouter(
    prefix="/friends", tags=["friends"], dependencies=Admin, route_class=StrictJSONRoute
)

IMPORT_LIMIT = 20 * 1024 * 1024
# what the 413 adds for this route (api.bodylimit)
IMPORT_HINT = "split the file and import the parts one after the other"
_CSV_TYPES = {
    "",
    "text/csv",
    "application/csv",
    "text/comma-separated-values",
    "text/plain",
    "application/vnd.ms-excel",
    "application/octet-stream",
}
_HOW_TO_SEND = (
    "send the CSV file as the body with Content-Type: text/csv, or as a multipart/form-data "
    "upload in the field `file`"
)


class ImportOut(BaseModel):
    imported: int = Field(description="rows imported (created + updated)")
    created: int = Field(description="friends that did not exist yet (created, not following)")
    updated: int = Field(description="friends that existed already")
    attributes: list[str] = Field(description="the attribute columns of the file, sorted")
    operation: OperationPublic | None = Field(
        None, description="what the change means for journeys, worked out in the background"
    )


class _Parts:
    """The parts of a multipart body: (headers with lower-case names, data)."""

    def __init__(self) -> None:
        self.parts: list[tuple[dict[bytes, bytes], bytearray]] = []
        self.field = bytearray()
        self.value = bytearray()
        self.ended = False

    def callbacks(self) -> Any:
        return {
            "on_part_begin": lambda: self.parts.append(({}, bytearray())),
            "on_part_data": lambda data, start, end: self.parts[-1][1].extend(data[start:end]),
            "on_header_field": lambda data, start, end: self.field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self.value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_end": self._end,
        }

    def _header_end(self) -> None:
        self.parts[-1][0][bytes(self.field).lower()] = bytes(self.value)
        self.field.clear()
        self.value.clear()

    def _end(self) -> None:
        self.ended = True


def _multipart_file(body: bytes, content_type: str) -> bytes:
    """The bytes of the form field `file` (a file or a plain field) of a multipart body."""

    def invalid(msg: str) -> ImportInvalid:
        return ImportInvalid([problem("file", msg, "multipart")])

    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise invalid("the multipart/form-data Content-Type has no boundary")
    found = _Parts()
    try:
        parser = MultipartParser(boundary, found.callbacks())
        parser.write(body)
        parser.finalize()
    except (FormParserError, ValueError) as error:
        raise invalid(f"the multipart/form-data body cannot be read: {error}") from None
    if not found.ended:
        raise invalid("the multipart/form-data body is incomplete (no closing boundary)")
    files = [
        data
        for headers, data in found.parts
        if parse_options_header(headers.get(b"content-disposition", b""))[1].get(b"name") == b"file"
    ]
    if not files:
        raise invalid(f"the multipart/form-data upload has no field `file`: {_HOW_TO_SEND}")
    if len(files) > 1:
        raise invalid("the multipart/form-data upload has more than one field `file`")
    return bytes(files[0])


def _parse_upload(body: bytes, content_type: str) -> imports.ParsedImport:
    media = content_type.split(";")[0].strip().lower()
    data = _multipart_file(body, content_type) if media == "multipart/form-data" else body
    return imports.parse(data)


_CSV_SCHEMA = {"type": "string", "format": "binary"}


@router.post(
    "/import",
    response_model=ImportOut,
    response_model_exclude_none=True,
    responses={
        413: {"description": "the body is over 20 MiB"},
        415: {"description": "neither CSV nor multipart/form-data"},
        422: {"description": "the file has problems (each with its line and column)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": _CSV_SCHEMA},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": _CSV_SCHEMA},
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def import_friends(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    dry_run: Annotated[bool, Query(description="check the file and count, write nothing")] = False,
) -> Any:
    """Merge attributes of many friends from a CSV file (an Excel export).

    The header row names the columns: `user_id` first, then one column per attribute. UTF-8
    (with or without BOM) or Shift_JIS (cp932); CRLF or LF; quoting as in RFC 4180. An empty
    cell leaves the attribute unchanged; `27` becomes a number (`0123` stays text), `1.5` a
    decimal, `true`/`false` a boolean, anything else text (`null` too). Friends that do not
    exist yet are created (not following). Any problem in any row: 422 listing them
    (`line 7.user_id`), and nothing is written. At most 20 MiB. A good file is merged 2,000
    friends a transaction (other writers, LINE's webhooks, never wait long); should the API
    stop midway, sending the file again finishes it."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if media != "multipart/form-data" and media not in _CSV_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"Content-Type {media!r} is not accepted: {_HOW_TO_SEND}",
        )
    body = await request.body()  # over IMPORT_LIMIT: refused (413) by api.bodylimit
    try:
        # parsing 20 MiB takes a moment: off the event loop, which serves webhooks meanwhile
        parsed = await asyncio.to_thread(_parse_upload, body, content_type)
    except ImportInvalid as invalid:
        return JSONResponse({"detail": invalid.problems}, status_code=422)
    if dry_run:
        result = await friend_import.dry_run(session, parsed)
        return _answer(result, None)
    result, operation = await friend_import.merge_in_chunks(services.db, parsed)
    return _answer(result, operation)


def _answer(result: imports.ImportResult, operation: Operation | None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "imported": result.imported,
        "created": result.created,
        "updated": result.updated,
        "attributes": result.attributes,
    }
    if operation is not None:
        answer["operation"] = operation_ref(operation)
    return answer
