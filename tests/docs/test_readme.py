"""The README as a newcomer reads it: the title, then the two commands; and every curl example
that sends a body works as written — its `-d @file` exists (from the repository's root) and is
what the route takes, an inline `-d '…'` is JSON, and each says `content-type:
application/json` (without it the API answers 422 `expected JSON`, docs/API.md)."""

import json
import re
import shlex
from pathlib import Path

import pytest

from scenarios.validate import validate_definition

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
COMMANDS = [
    "make run     # Temporal dev server + worker + API + LINE emulator + example scenarios",
    "make test    # the whole test suite (installs what it needs first)",
]


def _lines() -> list[str]:
    return README.read_text(encoding="utf-8").splitlines()


def test_the_readme_opens_with_its_title_then_the_two_commands():
    assert _lines()[:6] == ["# stepline", "", "```sh", *COMMANDS, "```"]


def _curls_with_a_body() -> list[list[str]]:
    curls = []
    for line in _lines():
        if line.startswith("curl ") and re.search(r"\s(-d|--data\S*)\s", line):
            curls.append(shlex.split(line, comments=True))
    return curls


def _option(words: list[str], *names: str) -> list[str]:
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word in names]


def _route(words: list[str]) -> str:
    url = next(word for word in words[1:] if word.startswith("localhost:"))
    return "/" + url.split("/", 1)[1].split("?")[0]


def test_the_readme_has_curl_examples_with_a_file_and_inline():
    bodies = [body for words in _curls_with_a_body() for body in _option(words, "-d", "--data")]
    assert any(body.startswith("@") for body in bodies), bodies
    assert any(not body.startswith("@") for body in bodies), bodies


@pytest.mark.parametrize("words", _curls_with_a_body(), ids=lambda words: _route(words))
def test_each_curl_body_is_there_and_valid(words):
    headers = [header.lower().replace(" ", "") for header in _option(words, "-H")]
    assert "content-type:application/json" in headers, words
    (body,) = _option(words, "-d", "--data")
    if body.startswith("@"):
        path = ROOT / body[1:]
        assert path.is_file(), f"README's curl sends {body}: no such file from the root"
        document = json.loads(path.read_text(encoding="utf-8"))
    else:
        document = json.loads(body)
    route = _route(words)
    if route == "/scenarios":
        validate_definition(document)  # DefinitionError lists every problem
    else:
        assert isinstance(document, dict) and document, (route, document)


def test_the_citation_check_reads_the_templates_readme():
    """templates/README.md once cited the outside SPEC: the check for such citations
    (test_docs_cover_code.py) reads it, and its section references are the contract's."""
    from tests.docs.test_docs_cover_code import _sources

    templates_readme = ROOT / "templates" / "README.md"
    assert templates_readme in set(_sources(".md"))
    contract = (ROOT / "docs" / "CONTRACT.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^#+ (\d+(?:\.\d+)*)[. ]", contract, flags=re.M))
    cited = re.findall(r"CONTRACT\.md §(\d+(?:\.\d+)*)", templates_readme.read_text("utf-8"))
    assert cited and set(cited) <= sections, (cited, sorted(sections))


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "examples").glob("*.yaml")) + sorted((ROOT / "templates").glob("*.yaml")),
    ids=lambda path: path.name,
)
def test_each_example_and_template_opens_with_what_it_does(path):
    opening = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        opening.append(line)
    assert len(" ".join(opening)) > 80, f"{path.name}: no opening comment saying what it does"
