"""What the operator's forms share (audiences, a friend's attributes and tags, the CSV import,
the channel's policy): read a posted form, its fields' problems by field name (the messages of
the admin API's own rules), and a file field's bytes."""

from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from api.dashboard.i18n import N_
from api.dashboard.web import PageError

NUL = N_("must not hold a NUL character")
Problems = dict[str, str]  # field name → what is wrong with it


async def posted(request: Request) -> FormData:
    """The posted form (urlencoded or multipart); read once, then cached by Starlette."""
    return await request.form()


def text(form: FormData, name: str, problems: Problems, *, strip: bool = True) -> str:
    """A text field as typed ('' when absent or a file); a NUL is a problem on the field (no
    database column can hold one)."""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if "\x00" in value:
        problems[name] = NUL
        return ""
    return value.strip() if strip else value


async def file_bytes(form: FormData, name: str = "file") -> bytes | None:
    """The bytes of a file field; None when no file was chosen."""
    value = form.get(name)
    if not isinstance(value, UploadFile) or (not value.filename and not value.size):
        return None
    return await value.read()


def field_of(loc: tuple[Any, ...], tagged: str = "") -> str:
    """The form field an error location names: `quiet_hours.start`; the tag a union puts
    first (`event audience`) is dropped, and a mapping's key too (`properties`)."""
    parts = [str(part) for part in loc]
    if parts and tagged and parts[0].endswith(tagged):
        parts = parts[1:]
    if not parts:
        return ""
    if parts[0] == "properties":
        return "properties"
    return ".".join(parts)


def problems_of(error: ValidationError, *, tagged: str = "") -> Problems:
    """Each field's first problem, in the words the admin API answers with."""
    found: Problems = {}
    for item in error.errors():
        field = field_of(tuple(item["loc"]), tagged) or "(form)"
        found.setdefault(field, str(item["msg"]).removeprefix("Value error, "))
    return found


def not_found(message: str) -> PageError:
    """A 404 page saying what the application service said (its own words)."""
    return PageError(404, "%(said)s", said=message)
