"""`NAME_FILE=/path/to/file`: a value read from a file, the way container orchestrators hand
secrets over (a Kubernetes Secret or a Docker secret mounted as a file). On the standard library
alone: the settings read files so (core/setting_files.py), and so does the CLI for its admin
token (app/endpoints.py), which must start without pydantic-settings."""

from collections.abc import Mapping
from pathlib import Path

SUFFIX = "_FILE"
MAX_BYTES = 1024 * 1024  # a certificate chain or a token; nothing bigger is a setting


class SettingFileError(ValueError):
    """A `…_FILE` variable that cannot be used; its message names the variable."""


def from_file(variables: Mapping[str, str], name: str) -> str | None:
    """The text of the file `<name>_FILE` names in `variables`, None when it is not set; `name`
    set as well is refused, as is a file that cannot be read or is empty."""
    path = variables.get(name + SUFFIX)
    if not path:
        return None
    if variables.get(name):
        raise SettingFileError(
            f"{name} and {name}{SUFFIX} are both set: give the value or the file, not both"
        )
    return read(name + SUFFIX, Path(path))


def read(variable: str, path: Path) -> str:
    """The file's text without the line break at its end."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SettingFileError(f"{variable}: {path} is over {MAX_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingFileError(f"{variable}: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SettingFileError(f"{variable}: {path} is not UTF-8 text") from None
    text = text.rstrip("\r\n")
    if not text.strip():
        raise SettingFileError(f"{variable}: {path} is empty")
    return text
