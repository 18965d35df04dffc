"""Test sends (LINE's テスト配信): try a scenario on the operator's own phones before starting
it — one step now, or the whole scenario with its waits cut short. Answered 202 once recorded;
the dispatcher starts each tester's run (app/test_sends.py, triggers/test_sends.py)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Admin, SessionDep
from api.errors import StrictJSONRoute
from api.schemas import OperationPublic, operation_ref
from app import test_sends
from domain.ids import UserId

router = APIRouter(
    prefix="/scenarios", tags=["scenarios"], dependencies=Admin, route_class=StrictJSONRoute
)
MAX_INT = 2**31 - 1


class TestSendBody(BaseModel):
    """One of `step` and `walk: true`; one of `tag` and `user_ids`."""

    __test__ = False  # not a pytest class
    model_config = ConfigDict(extra="forbid")
    step: str | None = Field(None, min_length=1, max_length=64, description="a message step")
    walk: bool = Field(False, description="walk the whole scenario, waits cut short")
    tag: str | None = Field(None, min_length=1, max_length=100, description="the testers' tag")
    user_ids: list[UserId] | None = Field(None, min_length=1, max_length=test_sends.MAX_TESTERS)
    version: int | None = Field(None, ge=1, le=MAX_INT, description="default: the current one")
    wait_scale: str | None = Field(
        None,
        description="a walk: each wait and timeout lasts at most this long (ISO 8601, "
        "PT1S–PT10M, default PT5S)",
        examples=["PT5S"],
    )


class TesterRun(BaseModel):
    user_id: str
    enrollment_id: str  # the run's workflow id, test:{scenario_id}:{user_id}:{id}


class TestSendPublic(BaseModel):
    __test__ = False  # not a pytest class
    id: int
    scenario_id: str
    version: int
    mode: Literal["step", "walk"]
    step: str | None
    wait_scale: str | None  # a walk: the longest any wait lasts
    testers: list[TesterRun]
    operation: OperationPublic  # done once every tester's run has begun
    created_at: datetime


@router.post(
    "/{scenario_id}/test-sends",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TestSendPublic,
)
async def test_send(
    scenario_id: str,
    body: TestSendBody,
    session: SessionDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            description="the same key again: the same test send, nothing sent twice",
        ),
    ] = None,
) -> dict[str, Any]:
    """Send one message step now (`step`), or walk the whole scenario (`walk: true`), to each
    test friend (`tag`: friends with it who follow the account; or `user_ids`), through the
    real delivery path. Never counted in stats, caps or the quota reserve; the friend's
    timeline marks it (`detail.test`). A draft may be tested too."""
    ask = test_sends.TestAsk(
        step=body.step,
        walk=body.walk,
        tag=body.tag,
        user_ids=tuple(body.user_ids) if body.user_ids is not None else None,
        version=body.version,
        wait=test_sends.wait_scale(body.wait_scale),
    )
    accepted = await test_sends.request(session, scenario_id, ask, key=idempotency_key)
    test = accepted.test
    return {
        "id": test.seq,
        "scenario_id": test.scenario_id,
        "version": test.version,
        "mode": "step" if test.step_id else "walk",
        "step": test.step_id,
        "wait_scale": f"PT{test.wait_seconds}S" if test.wait_seconds else None,
        "testers": [{"user_id": u, "enrollment_id": r} for u, r in accepted.runs.items()],
        "operation": operation_ref(accepted.operation),
        "created_at": test.created_at,
    }
