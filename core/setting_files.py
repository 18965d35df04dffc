"""`NAME_FILE=/path/to/file` for the settings: a setting read from a file, the way container
orchestrators hand secrets over (a Kubernetes Secret or a Docker secret mounted as a file). Every
secret setting, the database URL and the Temporal TLS certificates can be given so
(docs/SETTINGS.md). How a file is read is core/secret_file.py's, which the CLI shares."""

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from core.secret_file import SettingFileError, from_file

__all__ = ["FileValues", "SettingFileError"]


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
            text = from_file(variables, alias)
            if text is not None:
                values[alias] = text
        return values

    def _dotenv(self) -> dict[str, str]:
        env_file = self.config.get("env_file")
        if not env_file or not Path(env_file).is_file():
            return {}
        return {key: value for key, value in dotenv_values(env_file).items() if value is not None}
