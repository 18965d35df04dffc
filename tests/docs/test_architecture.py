"""docs/ARCHITECTURE.md describes what the code is: every package the import contracts know,
in their layer order, and only files that exist."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
CITED_FILE = re.compile(r"(?<![\w/.:@-])((?:[a-z_][\w-]*/)+[\w.-]+\.(?:py|md|ya?ml|toml|html))\b")


def _linter() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_every_package_is_on_the_page_in_layer_order() -> None:
    table = [row for row in PAGE.splitlines() if re.match(r"\| \d+ \|", row)]
    on_page = [re.search(r"\| `(\w+)", row).group(1) for row in table]  # type: ignore[union-attr]
    layers = next(c for c in _linter()["contracts"] if c["type"] == "layers")["layers"]
    expected = [name.strip() for layer in layers for name in layer.split("|")]
    assert [name for name in on_page if name in expected] == expected
    missing = set(_linter()["root_packages"]) - set(on_page) - {"emulator"}
    assert not missing
    assert "`emulator/`" in PAGE


def test_every_file_the_page_cites_exists() -> None:
    cited = sorted(set(CITED_FILE.findall(PAGE)))
    assert len(cited) > 30
    gone = [path for path in cited if not (ROOT / path).is_file()]
    assert not gone, f"docs/ARCHITECTURE.md cites files that are not in the repository: {gone}"


def test_the_step_kind_example_is_the_real_code() -> None:
    tag = (ROOT / "domain" / "steps" / "tag.py").read_text()
    example = PAGE.split("# domain/steps/tag.py\n", 1)[1].split("```", 1)[0]
    for line in example.splitlines():
        if line.strip() and not line.endswith("...") and "#" not in line:
            assert line in tag, line
