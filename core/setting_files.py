"""`NAME_FILE=/path/to/file`: a setting read from a file, the way container orchestrators hand
secrets over (a Kubernetes Secret or a Docker secret mounted as a file). Every secret setting,
the database URL and the Temporal TLS certificates can be given so (docs/SETTINGS.md)."""

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

SUFFIX = "_FILE"
MAX_BYTES = 1024 * 1024  # a certificate chain or a token; nothing bigger is a setting


class SettingFileError(ValueError):
    """A `…_FILE` variable that cannot be used; its message names the variable."""


class FileValues(PydanticBaseSettingsSource):
    """The value of each of `aliases` whose `<alias>_FILE` is set (in the environment or
    `.env`): the file's text, without the line break at its end."""

    def __init__(self, settings_cls: type[BaseSettings], aliases: Iterable[str]):
        super().__init__(settings_cls)
        self.aliases = tuple(aliases)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is done in __call__

    def __call__(self) -> dict[str, Any]:
        variables = self._dotenv() | dict(os.environ)
        values: dict[str, Any] = {}
        for alias in self.aliases:
            path = variables.get(alias + SUFFIX)
            if not path:
                continue
            if variables.get(alias):
                raise SettingFileError(
                    f"{alias} and {alias}{SUFFIX} are both set: give the value or the file, not both"
                )
            values[alias] = read(alias + SUFFIX, Path(path))
        return values

    def _dotenv(self) -> dict[str, str]:
        env_file = self.config.get("env_file")
        if not env_file or not Path(env_file).is_file():
            return {}
        return {key: value for key, value in dotenv_values(env_file).items() if value is not None}


def read(variable: str, path: Path) -> str:
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
