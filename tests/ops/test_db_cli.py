"""`stepline db upgrade | current | history`: the schema by hand, on SQLite and PostgreSQL
(when STEPLINE_TEST_DATABASE_URL is set). That the migrations build exactly the tables of
store/tables.py is tests/store/test_schema.py's."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel
from typer.testing import CliRunner

import store.tables  # noqa: F401  (the tables on SQLModel.metadata)
from cli.db import db_app
from store.migrate import alembic_config

HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
runner = CliRunner()


def stepline_db(*args: str, **env: str):
    return runner.invoke(db_app, list(args), env=env)


def shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def differences(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def test_upgrade_builds_the_schema_once_and_current_says_where_it_is(database_url):
    fresh = stepline_db("current", "--check", "--database-url", database_url)
    assert fresh.exit_code == 1
    assert fresh.output == (
        f"{shown(database_url)}: empty (no schema yet); head is {HEAD}: "
        "`stepline db upgrade` applies the rest\n"
    )

    # the database named by STEPLINE_DATABASE_URL, as the API and the worker read it
    upgraded = stepline_db("upgrade", STEPLINE_DATABASE_URL=database_url)
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output == f"{shown(database_url)}: upgraded empty → {HEAD} (head)\n"
    assert differences(database_url) == []

    again = stepline_db("upgrade", "--database-url", database_url)
    assert (again.exit_code, again.output) == (
        0,
        f"{shown(database_url)}: already at {HEAD} (head)\n",
    )
    at_head = stepline_db("current", "--check", STEPLINE_DATABASE_URL=database_url)
    assert (at_head.exit_code, at_head.output) == (0, f"{shown(database_url)}: {HEAD} (head)\n")


def test_upgrade_from_an_older_revision_and_the_history(database_url):
    scripts = ScriptDirectory.from_config(alembic_config(database_url))
    revisions = [script.revision for script in scripts.walk_revisions()]  # newest first
    assert revisions[0] == HEAD and len(revisions) >= 2
    older = revisions[1]
    command.upgrade(alembic_config(database_url), older)

    behind = stepline_db("current", "--database-url", database_url)
    assert behind.exit_code == 0  # without --check it only says so
    assert f": {older}; head is {HEAD}:" in behind.output
    history = stepline_db("history", "--database-url", database_url)
    assert history.exit_code == 0
    listed = history.output.splitlines()
    assert [line.split()[0] for line in listed] == revisions
    assert listed[0].endswith(" (head)") and listed[1].endswith(" (current)")

    upgraded = stepline_db("upgrade", "--database-url", database_url)
    assert upgraded.output == f"{shown(database_url)}: upgraded {older} → {HEAD} (head)\n"
    assert differences(database_url) == []
    assert (
        stepline_db("history", "--database-url", database_url)
        .output.splitlines()[0]
        .endswith(" (head, current)")
    )


def test_a_bad_url_or_an_unreachable_database_is_one_line():
    bad = stepline_db("upgrade", "--database-url", "mysql://somewhere/db")
    assert bad.exit_code == 2
    assert bad.output.startswith("stepline: STEPLINE_DATABASE_URL is invalid:")
    url = "postgresql+psycopg://stepline:hunter2@127.0.0.1:1/stepline"
    down = stepline_db("current", "--database-url", url)
    assert down.exit_code == 1
    [line] = down.output.splitlines()
    assert line.startswith("stepline db: postgresql+psycopg://stepline:***@127.0.0.1:1/stepline: ")
    assert "hunter2" not in down.output
