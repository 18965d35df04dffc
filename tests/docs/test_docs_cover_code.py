"""The reference pages under docs/ cover the code: every setting, every scenario kind and field,
every route the app registers, every Prometheus metric; and no source cites a file that is not
in the repository. Everything is looked up from the code itself (models, the app's routes, the
metric objects), so a kind, a field, a route or a metric added without its line in the docs
fails here. Fast: nothing is started, nothing is served."""

import importlib
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Tag

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = ("SCENARIOS.md", "API.md", "SETTINGS.md", "STATS.md")  # the reference pages


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    """The text under a Markdown heading (`## Triggers`, "### `message`"), up to the next
    heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = text.splitlines()
    start = lines.index(heading)  # ValueError: no such heading, the test says which
    end = next(
        (
            index
            for index in range(start + 1, len(lines))
            if re.match(rf"^#{{1,{level}}} ", lines[index])
        ),
        len(lines),
    )
    return "\n".join(lines[start:end])


def _mentions(text: str, name: str) -> bool:
    """`name` appears in code style: `name`, `name: …`, `name?` …"""
    return re.search(rf"`{re.escape(name)}(?![\w-])", text) is not None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


# --- settings -------------------------------------------------------------------------------


def _settings_fields() -> list[tuple[str, Any]]:
    from core.config import Settings

    found = []
    for name, field in Settings.model_fields.items():
        env = field.alias or field.validation_alias or name.upper()
        found.append((str(env), field.default))
    return found


def _shown(default: Any) -> str | None:
    """A default as SETTINGS.md writes it; None for one it does not spell out."""
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float):
        return str(int(default)) if default.is_integer() else str(default)
    if isinstance(default, int | str):
        return str(default)
    return None


def test_every_setting_is_in_settings_md():
    text = _read("SETTINGS.md")
    fields = _settings_fields()
    assert len(fields) > 20
    missing = [env for env, _ in fields if f"`{env}`" not in text]
    assert not missing, f"docs/SETTINGS.md lacks {missing}"


def test_settings_md_gives_each_default():
    rows = {
        match.group(1): line
        for line in _read("SETTINGS.md").splitlines()
        if (match := re.match(r"^\| `([A-Z_]+)` \|", line))
    }
    wrong = []
    for env, default in _settings_fields():
        shown = _shown(default)
        if shown is not None and f"`{shown}`" not in rows.get(env, ""):
            wrong.append(f"{env}: default `{shown}` not in its row")
    assert not wrong, "docs/SETTINGS.md: " + "; ".join(wrong)


# --- the scenario format --------------------------------------------------------------------


def _members(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models of a union (plain, Annotated, Optional or in a list)."""
    found: list[type[BaseModel]] = []
    pending = [annotation]
    while pending:
        current = pending.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            found.append(current)
        else:
            pending.extend(
                arg for arg in typing.get_args(current) if not isinstance(arg, str | int)
            )
    return list(dict.fromkeys(reversed(found)))


def _kind(model: type[BaseModel]) -> str:
    (kind,) = typing.get_args(model.model_fields["type"].annotation)
    return kind


def _step_models() -> dict[str, type[BaseModel]]:
    from scenarios.definition import Step

    union, *_ = typing.get_args(Step)
    models = {_kind(model): model for model in typing.get_args(union)}
    assert len(models) >= 10, models
    return models


def _trigger_models() -> dict[str, type[BaseModel]]:
    from scenarios.definition import ScenarioDefinition

    annotation = ScenarioDefinition.model_fields["trigger"].annotation
    models = {_kind(model): model for model in _members(annotation)}
    assert len(models) >= 5, models
    return models


def _tagged(annotation: Any) -> Iterator[tuple[str, type[BaseModel]]]:
    """(tag, model) for every `Annotated[model, Tag(tag)]` inside an annotation."""
    pending = [annotation]
    while pending:
        current = pending.pop()
        if typing.get_origin(current) is typing.Annotated:
            inner, *metadata = typing.get_args(current)
            for item in metadata:
                if isinstance(item, Tag) and isinstance(inner, type):
                    yield item.tag, inner
            pending.append(inner)
        else:
            pending.extend(
                arg for arg in typing.get_args(current) if not isinstance(arg, str | int)
            )


def _condition_models() -> dict[str, type[BaseModel]]:
    from scenarios.definition import ScenarioDefinition

    models = dict(_tagged(ScenarioDefinition.model_fields["exit"].annotation))
    assert len(models) >= 8, models
    return models


def test_every_step_kind_has_its_section_with_every_field():
    text = _read("SCENARIOS.md")
    problems = []
    for kind, model in _step_models().items():
        try:
            section = _section(text, f"### `{kind}`")
        except ValueError:
            problems.append(f"no section ### `{kind}`")
            continue
        for name in _field_names(model):
            if name not in ("id", "type") and not _mentions(section, name):
                problems.append(f"`{kind}` step: field `{name}`")
    assert not problems, "docs/SCENARIOS.md lacks: " + "; ".join(problems)


def test_every_trigger_kind_and_field_is_in_scenarios_md():
    section = _section(_read("SCENARIOS.md"), "## Triggers")
    problems = []
    for kind, model in _trigger_models().items():
        if f"| `{kind}` |" not in section:
            problems.append(f"trigger `{kind}`")
        problems += [
            f"`{kind}` trigger: field `{name}`"
            for name in _field_names(model)
            if name != "type" and not _mentions(section, name)
        ]
    assert not problems, "docs/SCENARIOS.md lacks: " + "; ".join(problems)


def test_every_condition_kind_and_field_is_in_scenarios_md():
    section = _section(_read("SCENARIOS.md"), "## Conditions")
    problems = []
    for kind, model in _condition_models().items():
        if f"| `{kind}` |" not in section:
            problems.append(f"condition `{kind}`")
        problems += [
            f"`{kind}` condition: field `{name}`"
            for name in _field_names(model)
            if not _mentions(section, name)
        ]
    assert not problems, "docs/SCENARIOS.md lacks: " + "; ".join(problems)


def test_every_top_level_field_and_goal_field_is_in_scenarios_md():
    from scenarios.definition import ScenarioDefinition

    text = _read("SCENARIOS.md")
    top = _section(text, "## Top-level fields")
    missing = [name for name in _field_names(ScenarioDefinition) if f"| `{name}` |" not in top]
    goal = ScenarioDefinition.model_fields["goal"].annotation
    (goal_model,) = _members(goal)
    goal_section = _section(text, "### `goal`")
    missing += [
        f"goal.{name}" for name in _field_names(goal_model) if not _mentions(goal_section, name)
    ]
    assert not missing, f"docs/SCENARIOS.md lacks {missing}"


# Common mistakes: the message each gets must be the one SCENARIOS.md quotes.
_MESSAGE = {"id": "a", "type": "message", "messages": [{"type": "text", "text": "hi"}]}
MISTAKES = {
    "misspelt step type": [{"id": "a", "type": "mesage"}],
    "unknown field": [{**_MESSAGE, "windw": {}}],
    "duplicate id": [_MESSAGE, _MESSAGE],
    "wait too long": [{"id": "w", "type": "wait", "duration": "P400D"}],
    "a month": [{"id": "w", "type": "wait", "duration": "P1M"}],
    "no UTC offset": [{"id": "w", "type": "wait", "until": "2026-12-24T10:00:00"}],
    "9:00": [{**_MESSAGE, "window": {"start": "9:00", "end": "10:00"}}],
    "empty window": [{**_MESSAGE, "window": {"start": "10:00", "end": "10:00"}}],
    "six messages": [{**_MESSAGE, "messages": [{"type": "text", "text": "x"}] * 6}],
    "text too long": [{**_MESSAGE, "messages": [{"type": "text", "text": "x" * 5001}]}],
    "misspelt placeholder": [{**_MESSAGE, "messages": [{"type": "text", "text": "{displayname}"}]}],
    "two operators": [
        {
            "id": "b",
            "type": "branch",
            "branches": [{"label": "x", "when": {"attribute": "age", "gte": 1, "lte": 2}}],
        }
    ],
    "unknown condition": [
        {"id": "b", "type": "branch", "branches": [{"label": "x", "when": {"foo": 1}}]}
    ],
    "switch not last": [{"id": "s", "type": "switch", "scenario": "scn_x"}, _MESSAGE],
    "bad timezone": {"timezone": "Tokyo"},
}


@pytest.mark.parametrize("mistake", MISTAKES.values(), ids=MISTAKES.keys())
def test_scenarios_md_quotes_the_message_of_a_common_mistake(mistake):
    from scenarios.validate import DefinitionError, validate_definition

    document = {"name": "x", "trigger": {"type": "follow"}, "steps": [_MESSAGE]}
    document |= mistake if isinstance(mistake, dict) else {"steps": mistake}
    with pytest.raises(DefinitionError) as raised:
        validate_definition(document)
    text = _read("SCENARIOS.md")
    for error in raised.value.errors:
        assert error["msg"][:40] in text, f"docs/SCENARIOS.md does not quote {error}"


# --- the HTTP API ---------------------------------------------------------------------------


def _app():
    from api.app import create_app
    from tests.support.stack import settings_for

    settings = settings_for(database_url="sqlite:///:memory:", line_api="http://127.0.0.1:9")
    return create_app(settings, temporal=object())  # routes only: no lifespan runs


def _routes(routes: list, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, through included routers (FastAPI ≥ 0.16x keeps them
    as wrappers of the router with their include prefix)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from _routes(included.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(getattr(route, "path", None), str):
            for method in sorted(getattr(route, "methods", None) or {"GET"}):
                if method != "HEAD":
                    yield method, prefix + route.path
        elif hasattr(route, "routes"):  # a Mount
            yield from _routes(route.routes, prefix + getattr(route, "path", ""))


def test_every_route_is_in_api_md():
    text = _read("API.md")
    routes = sorted(set(_routes(_app().routes)))
    assert len(routes) > 40, routes
    missing = [f"{method} {path}" for method, path in routes if f"`{method} {path}`" not in text]
    assert not missing, f"docs/API.md lacks {missing}"


def test_every_stats_key_is_in_stats_md():
    """Every key of the stats answer (the route's response model, nested ones included)."""
    stats_route = next(
        route
        for route in _flat_routes(_app().routes)
        if route.path == "/scenarios/{scenario_id}/stats"
    )
    text = _read("STATS.md")
    missing = []
    pending: list[type[BaseModel]] = [stats_route.response_model]
    seen: set[type[BaseModel]] = set()
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            key = field.alias or name
            if f"`{key}`" not in text:
                missing.append(f"{model.__name__}.{key}")
            pending += [inner for inner in _members(field.annotation) if inner not in seen]
    assert not missing, f"docs/STATS.md lacks {missing}"


def _flat_routes(routes: list) -> Iterator[Any]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _flat_routes(included.routes)
        elif hasattr(route, "path"):
            yield route


# --- metrics --------------------------------------------------------------------------------

SKIP = {".venv", ".git", "tests", "node_modules", "__pycache__", "build", "results"}


def _sources(*suffixes: str) -> Iterator[Path]:
    """The repository's own files with these suffixes (not .venv, not tests, no caches)."""
    for path in sorted(ROOT.rglob("*")):
        parts = path.relative_to(ROOT).parts
        if any(
            part in SKIP or part.startswith(".") or part.endswith(".egg-info") for part in parts
        ):
            continue
        if path.is_file() and path.suffix in suffixes:
            yield path


def _metric_modules() -> list[Any]:
    """Every module of ours that uses prometheus_client, imported (so that its metrics are
    defined), wherever it has moved to."""
    modules = []
    for path in _sources(".py"):
        if "prometheus_client" not in path.read_text(encoding="utf-8"):
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        modules.append(importlib.import_module(name.removesuffix(".__init__")))
    return modules


def test_every_metric_is_in_stats_md():
    from prometheus_client.metrics import MetricWrapperBase

    text = _read("STATS.md")
    lines = text.splitlines()
    problems = []
    defined: dict[str, tuple[str, ...]] = {}
    literals: set[str] = set()
    for module in _metric_modules():
        for value in vars(module).values():
            if isinstance(value, MetricWrapperBase) and value._name.startswith("stepline_"):
                exposed = value._name + ("_total" if value._type == "counter" else "")
                defined[exposed] = tuple(value._labelnames)
        # gauges built at scrape time (GaugeMetricFamily("stepline_…", …))
        source = Path(module.__file__).read_text(encoding="utf-8")
        literals |= set(re.findall(r"[\"'](stepline_[a-z0-9_]+)[\"']", source))
    assert len(defined) >= 8, defined
    for name, labels in defined.items():
        rows = [line for line in lines if f"`{name}`" in line]
        if not rows:
            problems.append(name)
        problems += [
            f"{name}{{{label}}}" for label in labels if not _mentions(" ".join(rows), label)
        ]
    problems += [
        name
        for name in sorted(literals)
        if not any(known.startswith(name) for known in defined) and f"`{name}`" not in text
    ]
    assert not problems, f"docs/STATS.md lacks {problems}"


# --- the repository cites only itself ------------------------------------------------------


def test_no_source_cites_a_spec_or_a_path_outside_the_repository():
    cited = []
    for path in _sources(".py", ".md", ".yaml", ".yml", ".html", ".toml"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bSPEC\b", line) or "../shared" in line:
                cited.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not cited, "cites what is not in the repository:\n" + "\n".join(cited)


def test_the_contract_links_each_reference_page():
    contract = _read("CONTRACT.md")
    for page in PAGES:
        assert f"]({page}" in contract, f"docs/CONTRACT.md does not link {page}"
        assert (DOCS / page).is_file()


CITED_FILE = re.compile(r"(?<![\w/.:@-])((?:[a-z_][\w-]*/)+[\w.-]+\.(?:py|md|ya?ml|toml|html))\b")


@pytest.mark.parametrize("page", PAGES)
def test_files_a_reference_page_cites_exist(page):
    """A file moved or split is a page to update (the code is read there by its path)."""
    cited = sorted(set(CITED_FILE.findall(_read(page))))
    assert cited
    gone = [path for path in cited if not (ROOT / path).is_file()]
    assert not gone, f"docs/{page} cites files that are not in the repository: {gone}"
