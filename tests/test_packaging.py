"""The packaging config, read statically (a build would fetch setuptools: nothing is downloaded
at test time). `pip install .` must carry every module and data file, and warn about none of its
own folders: setuptools warns for each folder it ships files from that is not a package (the
"Package 'api.dashboard.templates' is absent from the `packages` configuration" lines of a first
install), and silently leaves out a folder of modules that is not listed."""

import subprocess
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from setuptools import find_namespace_packages

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
SKIP = {"__pycache__"}


def _packages() -> set[str]:
    find = CONFIG["packages"]["find"]
    return set(
        find_namespace_packages(
            where=str(ROOT), include=find["include"], exclude=find.get("exclude", ())
        )
    )


def _dotted(folder: Path) -> str:
    return ".".join(folder.relative_to(ROOT).parts)


def test_every_folder_of_modules_is_a_package():
    packages = _packages()
    tops = {name.split(".")[0] for name in packages}
    assert {"api", "app", "core", "domain", "workflows", "store", "migrations"} <= tops, tops
    assert not any(name.split(".")[0] in {"tests", "build", "docs"} for name in packages)
    missing = sorted(
        _dotted(module.parent)
        for top in tops
        for module in (ROOT / top).rglob("*.py")
        if not SKIP & set(module.parts) and _dotted(module.parent) not in packages
    )
    assert not missing, f"modules setuptools would leave out: {missing}"
    assert {"app.studio", "workflows.steps", "api.routes", "domain.steps"} <= packages


def test_every_data_file_ships_from_a_package_and_each_pattern_finds_some():
    packages = _packages()
    not_packages, empty = [], []
    for package, patterns in CONFIG["package-data"].items():
        assert package in packages, package
        base = ROOT.joinpath(*package.split("."))
        for pattern in patterns:
            files = [path for path in base.glob(pattern) if path.is_file()]
            if not files:
                empty.append(f"{package}: {pattern}")
            not_packages += [_dotted(f.parent) for f in files if _dotted(f.parent) not in packages]
    assert not empty, f"package-data patterns that match nothing: {empty}"
    assert not sorted(set(not_packages)), f"setuptools would warn for {sorted(set(not_packages))}"


def test_the_data_folders_are_covered_by_package_data():
    """A template, stylesheet, script or catalog added to a package folder ships too (but the
    catalogs' template, messages.pot, which only `make messages` reads)."""
    uncovered = []
    for package in _packages():
        for path in ROOT.joinpath(*package.split(".")).iterdir():
            if not path.is_file() or path.suffix in {".py", ".pyc", ".pot"}:
                continue
            shipped = any(
                fnmatch(path.relative_to(ROOT.joinpath(*owner.split("."))).as_posix(), pattern)
                for owner, patterns in CONFIG["package-data"].items()
                if package == owner or package.startswith(owner + ".")
                for pattern in patterns
            )
            if not shipped:
                uncovered.append(path.relative_to(ROOT).as_posix())
    uncovered = [path for path in uncovered if path not in _ignored(uncovered)]
    assert not uncovered, f"files in packages that a wheel would leave out: {uncovered}"


def _ignored(paths: list[str]) -> set[str]:
    """Those git ignores: made by a run (`make bench`'s results), not part of the source."""
    if not paths:
        return set()
    answer = subprocess.run(
        ["git", "check-ignore", "--stdin"],
        cwd=ROOT,
        input="\n".join(paths),
        capture_output=True,
        text=True,
    )
    return set(answer.stdout.split())
