"""What the fuzz tests ask of every answer, and of the database around a refused request."""

from typing import Any

import httpx
from sqlmodel import SQLModel


def assert_refusal(answer: httpx.Response) -> None:
    """A refusal is a 4xx with a body of exactly `{"detail": …}`: a sentence, or for a 422 one
    entry per problem naming the offending field's `path`."""
    assert 400 <= answer.status_code < 500, f"{answer.status_code}: {answer.text[:2000]}"
    body = answer.json()
    assert list(body) == ["detail"], body
    detail = body["detail"]
    if answer.status_code == 422:
        assert isinstance(detail, list) and detail, body
        for problem in detail:
            assert set(problem) == {"path", "msg", "type"}, problem
            assert all(isinstance(value, str) and value for value in problem.values()), problem
    else:
        assert isinstance(detail, str) and detail, body


async def snapshot(stack) -> dict[str, list[Any]]:
    """Every row of every table, to compare before and after a request that was refused."""
    tables: dict[str, list[Any]] = {}
    async with stack.db.session() as session:
        for name, table in SQLModel.metadata.tables.items():
            rows = (await session.exec(table.select())).all()
            tables[name] = sorted(repr(tuple(row)) for row in rows)
    return tables
