"""A file of the project that the code or the docs cite by its path exists: a module moved or
split is a comment or a page to update, not a pointer into nothing."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = "api|app|cli|core|domain|scenarios|store|line|triggers|workflows|activities|emulator"
CITED = re.compile(
    rf"(?<![\w/.-])((?:{PACKAGES}|bench|docs|templates|examples)/[\w/]+\.(?:py|md|html|yaml))"
)
SKIP = {".venv", ".git", "node_modules", ".stepline"}


def _sources() -> list[Path]:
    found = []
    for pattern in ("*.py", "*.md", "*.html", "*.toml"):
        found += [p for p in ROOT.rglob(pattern) if not SKIP & set(p.relative_to(ROOT).parts)]
    return found


def test_every_project_path_cited_exists() -> None:
    gone = sorted(
        f"{source.relative_to(ROOT)}: {path}"
        for source in _sources()
        for path in set(CITED.findall(source.read_text(errors="replace")))
        if not (ROOT / path).exists()
    )
    assert not gone, "cited, not in the repository:\n" + "\n".join(gone)
