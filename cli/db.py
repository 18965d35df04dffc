"""`stepline db …`: the database schema, by hand. The API and the worker apply the alembic
migrations when they start; `stepline db upgrade` does it as one step of a deploy, before."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

# alembic, sqlalchemy, the settings and the store are imported by the commands that use them:
# every `stepline` command imports this module, and they take a second to import.
if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

db_app = typer.Typer(
    help="The database schema (alembic migrations; the API and the worker apply them on start).",
    no_args_is_help=True,
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="default: STEPLINE_DATABASE_URL (or .env)", show_default=False
    ),
]


def _url(database_url: str | None) -> str:
    from core.config import load_settings

    if database_url is None:
        return load_settings().database_url
    return load_settings(STEPLINE_DATABASE_URL=database_url).database_url


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _scripts(url: str) -> "ScriptDirectory":
    from alembic.script import ScriptDirectory

    from store import migrate

    return ScriptDirectory.from_config(migrate.alembic_config(url))


def current_revision(url: str) -> str | None:
    """The revision the database is at; None for an empty one (or a SQLite file not there)."""
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine, pool
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).exists():
            return None
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _fail(url: str, exc: Exception) -> None:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    typer.secho(f"stepline db: {_shown(url)}: {reason}", fg="red", err=True)
    raise typer.Exit(1)


def _state(revision: str | None, head: str | None) -> str:
    if revision == head:
        return f"{revision} (head)"
    where = revision or "empty (no schema yet)"
    return f"{where}; head is {head}: `stepline db upgrade` applies the rest"


@db_app.command()
def upgrade(database_url: DatabaseUrl = None) -> None:
    """Migrate the schema to the newest revision (head); nothing to do when it is there."""
    from sqlalchemy.exc import SQLAlchemyError

    from store import migrate

    url = _url(database_url)
    try:
        before = current_revision(url)
        migrate.upgrade(url)
        after = current_revision(url)
    except SQLAlchemyError as exc:
        _fail(url, exc)
    if before == after:
        typer.echo(f"{_shown(url)}: already at {after} (head)")
    else:
        typer.echo(f"{_shown(url)}: upgraded {before or 'empty'} → {after} (head)")


@db_app.command()
def current(
    database_url: DatabaseUrl = None,
    check: Annotated[bool, typer.Option(help="exit 1 unless the schema is at head")] = False,
) -> None:
    """The revision the database is at, and whether it is the newest."""
    from sqlalchemy.exc import SQLAlchemyError

    url = _url(database_url)
    head = _scripts(url).get_current_head()
    try:
        revision = current_revision(url)
    except SQLAlchemyError as exc:
        _fail(url, exc)
    typer.echo(f"{_shown(url)}: {_state(revision, head)}")
    if check and revision != head:
        raise typer.Exit(1)


@db_app.command()
def history(database_url: DatabaseUrl = None) -> None:
    """Every migration, newest first; the database's own is marked `current`."""
    from sqlalchemy.exc import SQLAlchemyError

    url = _url(database_url)
    try:
        revision = current_revision(url)
    except SQLAlchemyError as exc:
        _fail(url, exc)
    scripts = _scripts(url)
    head = scripts.get_current_head()
    for script in scripts.walk_revisions():
        marks = ["head"] if script.revision == head else []
        marks += ["current"] if script.revision == revision else []
        suffix = f" ({', '.join(marks)})" if marks else ""
        typer.echo(f"{script.revision}  {script.doc}{suffix}")
