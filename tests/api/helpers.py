"""Helpers for the admin API and webhook tests (they drive the whole stack, see tests/support)."""

import asyncio
import base64
import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from store.tables import Enrollment
from tests.support.stack import CHANNEL_SECRET


def sign(body: bytes, secret: str = CHANNEL_SECRET) -> str:
    """X-Line-Signature: base64(HMAC-SHA256(channel secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signed(payload: Any) -> tuple[bytes, dict[str, str]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return body, {"Content-Type": "application/json", "X-Line-Signature": sign(body)}


def text(step_id: str, *bodies: str, **extra: Any) -> dict:
    messages = [{"type": "text", "text": body} for body in bodies]
    return {"id": step_id, "type": "message", "messages": messages, **extra}


def wait(step_id: str, duration: str) -> dict:
    return {"id": step_id, "type": "wait", "duration": duration}


# a first message due at once goes as LINE's free reply (tests/journeys/test_replies.py); the
# tests of what a push meets set this, so that their first message is a push
PUSHED = {"reply_first": False}


def scenario(*steps: dict, **extra: Any) -> dict:
    return {"name": "test", "trigger": {"type": "follow"}, "steps": list(steps), **extra}


async def count(stack, model, *where) -> int:
    async with stack.db.session() as session:
        statement = select(func.count()).select_from(model)
        for condition in where:
            statement = statement.where(condition)
        return (await session.exec(statement)).one()


async def enrollment_at(stack, scenario_id: str, user_id: str, step: str, timeout=10.0):
    """Wait (real time) until the enrollment's row says it reached `step`; returns the row."""
    deadline = asyncio.get_running_loop().time() + timeout
    eid = f"enrollment:{scenario_id}:{user_id}:1"
    while True:
        async with stack.db.session() as session:
            row = await session.get(Enrollment, eid)
        if row is not None and row.current_step == step:
            return row
        assert asyncio.get_running_loop().time() < deadline, f"{eid} never reached {step}: {row}"
        await asyncio.sleep(0.05)
