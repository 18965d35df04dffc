"""The dashboard's kept CSV imports (store/import_uploads.py), on SQLite and (when configured)
PostgreSQL: confirmations racing for one upload claim it once, a claim never finished lapses,
old uploads expire, and migration 0012 adds and removes the table."""

import asyncio
from datetime import timedelta

import sqlalchemy as sa
from alembic import command
from sqlmodel import func, select

from store import import_uploads
from store.import_uploads import KEPT, LEASE, ImportUpload
from store.migrate import alembic_config
from store.types import utcnow

FACTS = {"name": "f.csv", "imported": 2, "created": 1, "updated": 1, "attributes": ["plan"]}
DATA = b"user_id,plan\n" + b"x" * 100_000  # bytes of any kind, kept whole


async def keep(db, **more) -> str:
    async with db.session() as session:
        return await import_uploads.keep(session, DATA, FACTS, by="session abc", **more)


async def kept(db, upload_id: str, **more):
    async with db.reading() as session:
        return await import_uploads.kept(session, upload_id, **more)


async def claim(db, upload_id: str, by: str = "a", **more) -> bool:
    async with db.session() as session:
        return await import_uploads.claim(session, upload_id, by=by, **more)


async def rows(db) -> int:
    async with db.reading() as session:
        return (await session.exec(select(func.count()).select_from(ImportUpload))).one()


async def test_an_upload_is_kept_then_its_result_in_place_of_its_bytes(db):
    upload_id = await keep(db)
    assert len(upload_id) == 32 and await kept(db, upload_id) == FACTS
    async with db.reading() as session:
        assert await import_uploads.data_of(session, upload_id) == DATA
        row = await session.get(ImportUpload, upload_id)
        assert row.uploaded_by == "session abc" and row.claimed_at is None
    assert await claim(db, upload_id, by="session def")
    async with db.session() as session:
        await import_uploads.imported(session, upload_id, {"imported": 2})
    assert await kept(db, upload_id) == FACTS | {"result": {"imported": 2}}
    async with db.reading() as session:
        assert await import_uploads.data_of(session, upload_id) is None
        row = await session.get(ImportUpload, upload_id)
        assert row.claimed_by == "session def" and row.imported_at is not None
    assert not await claim(db, upload_id)  # imported: never again
    for other in ("0" * 32, "../../etc/passwd", ""):
        assert await kept(db, other) is None and not await claim(db, other)


async def test_confirmations_at_once_claim_an_upload_once(db):
    upload_id = await keep(db)
    claims = await asyncio.gather(*(claim(db, upload_id, by=f"r{n}") for n in range(6)))
    assert claims.count(True) == 1
    async with db.session() as session:  # given up (failed): another may claim it
        await import_uploads.release(session, upload_id)
    assert await claim(db, upload_id, by="again")


async def test_a_claim_never_finished_lapses(db):
    upload_id = await keep(db)
    assert await claim(db, upload_id, at=utcnow() - LEASE - timedelta(seconds=1))
    assert await claim(db, upload_id)  # the process that claimed it stopped midway
    assert not await claim(db, upload_id)


async def test_old_uploads_expire_and_are_deleted_when_a_new_one_is_kept(db):
    old = await keep(db, at=utcnow() - KEPT - timedelta(seconds=1))
    recent = await keep(db, at=utcnow() - KEPT + timedelta(minutes=5))
    assert await rows(db) == 2  # the old one was not expired yet when the second was kept
    assert await kept(db, old) is None and not await claim(db, old)  # but reads as gone now
    assert await kept(db, recent) == FACTS
    new = await keep(db)
    assert await rows(db) == 2 and await kept(db, old) is None
    async with db.reading() as session:
        assert await session.get(ImportUpload, old) is None
    assert await kept(db, recent) == FACTS and await kept(db, new) == FACTS


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migration_0012_adds_the_table_and_takes_it_away(database_url):
    config = alembic_config(database_url)
    command.upgrade(config, "0011")
    assert "importupload" not in _tables(database_url) and "testsend" in _tables(database_url)
    command.upgrade(config, "0012")
    assert "importupload" in _tables(database_url)
    engine = sa.create_engine(database_url)
    try:
        indexes = {index["name"] for index in sa.inspect(engine).get_indexes("importupload")}
        assert indexes == {"ix_importupload_expires_at"}
    finally:
        engine.dispose()
    command.downgrade(config, "0011")
    assert "importupload" not in _tables(database_url) and "testsend" in _tables(database_url)
    command.upgrade(config, "head")
    assert "importupload" in _tables(database_url)
