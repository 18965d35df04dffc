"""Reading an import file: bytes to text (UTF-8 or cp932), text to CSV records, cells to values."""

import contextlib
import csv
import io
import math
import re
from collections.abc import Iterator
from typing import Any

from store.import_problems import ImportInvalid, Problems, TooMany, problem

_INT = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")
_INT64 = range(-(2**63), 2**63)

# an unclosed quote swallows the rest of the file into one field: let it get to the end of
# the file and be reported as unclosed, rather than as a field over csv's 128 KiB limit
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), or else cp932; ImportInvalid when it is neither."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportInvalid(
            [
                problem(
                    "file",
                    "this is an Excel workbook, not a CSV file: save it as "
                    "“CSV UTF-8 (comma delimited)” and upload that",
                    "not_csv",
                )
            ]
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportInvalid(
            [
                problem(
                    "file",
                    "UTF-16 text is not supported: save the file as "
                    "“CSV UTF-8 (comma delimited)” (or Shift_JIS CSV)",
                    "encoding",
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp932")
        except UnicodeDecodeError:
            line = data.count(b"\n", 0, utf8_error.start) + 1
            raise ImportInvalid(
                [
                    problem(
                        "file",
                        f"neither UTF-8 nor Shift_JIS (cp932) text: undecodable bytes on line "
                        f"{line}",
                        "encoding",
                    )
                ]
            ) from None


def convert(cell: str) -> Any:
    """A non-empty cell's value: int or float when it reads back the same, bool, or text."""
    lowered = cell.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if _INT.fullmatch(cell):
        number = int(cell)
        if str(number) == cell and number in _INT64:
            return number
        return cell
    if _DECIMAL.fullmatch(cell):
        decimal = float(cell)
        if math.isfinite(decimal) and repr(decimal) == cell:
            return decimal
    return cell


def records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its fields); lines are split at LF only, so a line number
    is the one an editor shows."""
    reader = csv.reader(io.StringIO(text, newline="\n"), strict=True)
    line = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            message = str(error)
            if "unexpected end of data" in message:
                message = "unclosed quote: the quoted field that starts here never ends"
            elif "new-line character" in message:
                message = (
                    "a lone carriage return (CR) in an unquoted field: lines must end in CRLF or LF"
                )
            elif "expected after" in message:
                message = (
                    'text after the closing quote of a quoted field (a " inside a quoted '
                    'field is written "")'
                )
            raise CsvSyntax(line, message) from None
        yield line, fields
        line = reader.line_num + 1


class CsvSyntax(Exception):
    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message


@contextlib.contextmanager
def collecting(problems: Problems) -> Iterator[Problems]:
    """Reading a file's rows: a CSV syntax error is a problem of its line, too many problems
    end the reading; then whatever was found is raised together (ImportInvalid)."""
    try:
        yield problems
    except CsvSyntax as error:
        with contextlib.suppress(TooMany):
            problems.add(f"line {error.line}", error.message, "csv_syntax")
    except TooMany:
        pass
    if problems.items:
        raise ImportInvalid(problems.result())
