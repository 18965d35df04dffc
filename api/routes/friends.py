"""Friends: state, attributes, tags, add route and enrollments (SPEC §3, §5)."""

import asyncio
import math
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from api.deps import Admin, ServicesDep, SessionDep
from api.errors import StrictJSONRoute
from api.schemas import EnrollmentPublic
from core.ids import USER_ID_PATTERN
from store import enrollments, friends, imports

router = APIRouter(
    prefix="/friends", tags=["friends"], dependencies=Admin, route_class=StrictJSONRoute
)

UserIdPath = Annotated[str, Path(pattern=USER_ID_PATTERN, description="LINE user ID, U + 32 hex")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]


def _scalar(value: Any) -> Any:
    # one clear error per key, instead of one per member of the union below
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise PydanticCustomError(
        "attribute_value", "must be a string, a finite number, true, false or null (to remove it)"
    )


AttributeValue = Annotated[str | int | float | bool | None, BeforeValidator(_scalar)]


class FriendPublic(BaseModel):
    user_id: str
    following: bool
    epoch: int
    followed_at: datetime | None
    blocked_at: datetime | None
    route: str
    attributes: dict[str, Any]
    tags: list[str]
    enrollments: list[EnrollmentPublic]


class TagsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored
    tags: list[Name] = Field(min_length=1, max_length=100)


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored
    route: Annotated[
        str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    ]


async def _view(session, user_id: str) -> dict[str, Any]:
    friend = await friends.get_friend(session, user_id=user_id)
    if friend is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no friend {user_id}")
    return {
        **friend.model_dump(),
        "tags": await friends.tags_of(session, user_id=user_id),
        "enrollments": await enrollments.list_enrollments(session, user_id=user_id, limit=1000),
    }


IMPORT_LIMIT = 20 * 1024 * 1024
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


async def _import_body(request: Request) -> bytes:
    """The raw body, refused (413) once it is known to be over IMPORT_LIMIT."""
    too_large = HTTPException(
        413,  # status.HTTP_413_CONTENT_TOO_LARGE in newer Starlette only
        detail=f"the upload is larger than 20 MiB ({IMPORT_LIMIT:,} bytes): split the file "
        "and import the parts one after the other",
    )
    try:
        declared = int(request.headers.get("content-length", "0"))
    except ValueError:
        declared = 0
    if declared > IMPORT_LIMIT:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > IMPORT_LIMIT:
            raise too_large
    return bytes(body)


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

    def invalid(msg: str) -> imports.ImportInvalid:
        return imports.ImportInvalid([imports.problem("file", msg, "multipart")])

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
    """Merge attributes of many friends from a CSV file (an Excel export), all or nothing.

    The header row names the columns: `user_id` first, then one column per attribute. UTF-8
    (with or without BOM) or Shift_JIS (cp932); CRLF or LF; quoting as in RFC 4180. An empty
    cell leaves the attribute unchanged; `27` becomes a number (`0123` stays text), `1.5` a
    decimal, `true`/`false` a boolean, anything else text (`null` too). Friends that do not
    exist yet are created (not following). Any problem in any row: 422 listing them
    (`line 7.user_id`), and nothing is written. At most 20 MiB."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if media != "multipart/form-data" and media not in _CSV_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"Content-Type {media!r} is not accepted: {_HOW_TO_SEND}",
        )
    body = await _import_body(request)
    try:
        # parsing 20 MiB takes a moment: off the event loop, which serves webhooks meanwhile
        parsed = await asyncio.to_thread(_parse_upload, body, content_type)
    except imports.ImportInvalid as invalid:
        return JSONResponse({"detail": invalid.problems}, status_code=422)
    result = await imports.import_attributes(session, parsed, dry_run=dry_run)
    if result.changed:
        await services.changes.changed(result.changed, reason="import")
    return {
        "imported": result.imported,
        "created": result.created,
        "updated": result.updated,
        "attributes": result.attributes,
    }


@router.get("/{user_id}", response_model=FriendPublic)
async def read_friend(user_id: UserIdPath, session: SessionDep) -> dict[str, Any]:
    """Follow state, attributes, tags and enrollments of one friend."""
    return await _view(session, user_id)


@router.put("/{user_id}/attributes", response_model=FriendPublic)
async def merge_attributes(
    user_id: UserIdPath,
    session: SessionDep,
    services: ServicesDep,
    attributes: Annotated[
        dict[Name, AttributeValue],
        Body(
            examples=[{"gender": "female", "age": 27, "area": "tokyo", "os": "ios", "plan": "gold"}]
        ),
    ],
) -> dict[str, Any]:
    """Merge attributes into the friend's profile; `null` removes one."""
    await friends.merge_attributes(session, user_id=user_id, attributes=attributes)
    await services.changes.changed([user_id], reason="attributes")
    return await _view(session, user_id)


@router.post("/{user_id}/tags", response_model=FriendPublic)
async def add_tags(
    user_id: UserIdPath, body: TagsIn, session: SessionDep, services: ServicesDep
) -> dict[str, Any]:
    """Add chat tags (exits, wait_fors and audience triggers see them at once)."""
    await friends.add_tags(session, user_id=user_id, tags=body.tags)
    await services.changes.changed([user_id], reason="tags")
    return await _view(session, user_id)


@router.delete("/{user_id}/tags/{tag}", response_model=FriendPublic)
async def remove_tag(
    user_id: UserIdPath, tag: str, session: SessionDep, services: ServicesDep
) -> dict[str, Any]:
    """Remove a chat tag."""
    if not await friends.remove_tag(session, user_id=user_id, tag=tag):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{user_id} has no tag {tag!r}")
    await services.changes.changed([user_id], reason="tags")
    return await _view(session, user_id)


@router.put("/{user_id}/route", response_model=FriendPublic)
async def set_route(
    user_id: UserIdPath, body: RouteIn, session: SessionDep, services: ServicesDep
) -> dict[str, Any]:
    """Record the add route (追加経路) of a friend, before or after the follow."""
    await friends.set_route(session, user_id=user_id, route=body.route)
    await services.changes.changed([user_id], reason="route")
    return await _view(session, user_id)
