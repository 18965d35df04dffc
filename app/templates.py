"""The ready scenarios (docs/CONTRACT.md §1): the four LINE templates under `templates/`, read
for the API (`/templates`) and the studio alike."""

from pathlib import Path
from typing import Any

import yaml

from app.errors import NotFound

# the repository's templates/, next to app/ (as `stepline dev` finds examples/)
FOLDER = Path(__file__).resolve().parents[1] / "templates"


def files() -> dict[str, Path]:
    return {path.stem: path for path in sorted(FOLDER.glob("*.yaml"))}


def path_of(name: str) -> Path:
    found = files()
    if name not in found:
        raise NotFound(f"no template {name!r} (there are: {', '.join(found) or 'none'})")
    return found[name]


def document(name: str) -> dict[str, Any]:
    """The template's scenario document, as its YAML says."""
    return yaml.safe_load(path_of(name).read_text(encoding="utf-8"))


def description(path: Path) -> str:
    """The comment at the top of the file, as one paragraph."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(line for line in lines if line)


def listing() -> list[dict[str, str]]:
    """`name` to create one, `title` (the scenario's name), `description`."""
    return [
        {"name": name, "title": document(name)["name"], "description": description(path)}
        for name, path in files().items()
    ]
