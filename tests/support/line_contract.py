"""Check what we send to LINE against LINE's own OpenAPI document (tests/fixtures/line)."""

from functools import cache
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

SPEC = Path(__file__).resolve().parent.parent / "fixtures" / "line" / "messaging-api.yml"


@cache
def _components() -> dict:
    return yaml.safe_load(SPEC.read_text())["components"]


def validator(schema_name: str) -> Draft202012Validator:
    """A validator for one of the spec's component schemas ($refs resolved in the spec)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": _components()}
    return Draft202012Validator(schema)


def problems(schema_name: str, document: dict) -> list[str]:
    found = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(schema_name).iter_errors(document)
    ]
    if schema_name == "PushMessageRequest":
        # jsonschema ignores OpenAPI's discriminator: check each message against its own type
        mapping = _components()["schemas"]["Message"]["discriminator"]["mapping"]
        for index, message in enumerate(document.get("messages") or []):
            kind = mapping.get(message.get("type")) if isinstance(message, dict) else None
            if kind is None:
                found.append(f"messages/{index}: unknown message type")
                continue
            found += [f"messages/{index}/{p}" for p in problems(kind.rsplit("/", 1)[-1], message)]
    return found
