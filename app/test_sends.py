"""Test sends (LINE's テスト配信): an operator tries a scenario on their own phones before
starting it — one step sent now, or the whole scenario walked with its waits cut short — to
friends picked by a tag or by their user IDs. Checked here (every problem a 422 naming its
field), then recorded with a start command for each tester in one transaction
(triggers/test_sends.py): the dispatcher starts the runs, even if Temporal is away now."""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, invalid
from app.lifecycle import find
from domain.durations import parse_duration
from domain.steps import MessageStep, SurveyStep
from scenarios.runs import TestRun
from scenarios.validate import DefinitionError
from store import operations, scenarios, test_sends
from store.pipeline_tables import Operation
from store.test_sends import TestSend
from store.types import utcnow
from triggers import test_sends as pipeline

MAX_TESTERS = 100  # a test goes to a few phones, not to an audience
DEFAULT_WAIT = timedelta(seconds=5)  # a walk: each wait and timeout at most this long
LONGEST_WAIT = timedelta(minutes=10)


@dataclass(frozen=True)
class TestAsk:
    """What the caller asked (api/routes/test_sends.py checks the shapes)."""

    __test__ = False  # not a pytest class
    step: str | None = None
    walk: bool = False
    tag: str | None = None
    user_ids: tuple[str, ...] | None = None
    version: int | None = None
    wait: timedelta | None = None


@dataclass(frozen=True)
class Accepted:
    test: TestSend
    runs: dict[str, str]  # tester → run id (test:…)
    operation: Operation
    again: bool = False  # the same Idempotency-Key: the first request's answer, nothing sent


def wait_scale(text: str | None) -> timedelta | None:
    """A walk's `wait_scale` (ISO 8601, PT1S–PT10M); None: the default."""
    if text is None:
        return None
    try:
        wait = parse_duration(text)
    except ValueError as exc:
        raise invalid("wait_scale", str(exc)) from None
    if not timedelta(seconds=1) <= wait <= LONGEST_WAIT:
        raise invalid("wait_scale", "must be between 1 second (PT1S) and 10 minutes (PT10M)")
    return wait


def _problem(path: str, msg: str, kind: str = "value_error") -> DefinitionError:
    return DefinitionError([{"path": path, "msg": msg, "type": kind}])


def _fingerprint(scenario_id: str, ask: TestAsk) -> str:
    asked = {"scenario": scenario_id, **ask.__dict__, "wait": str(ask.wait)}
    text = json.dumps(asked, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()


def _shape(ask: TestAsk) -> None:
    """One of `step` and `walk`; one of `tag` and `user_ids`; `wait` with a walk only."""
    if (ask.step is None) == (not ask.walk):
        raise _problem("step", "give either `step` (one message step) or `walk: true`")
    if (ask.tag is None) == (ask.user_ids is None):
        raise _problem("tag", "give either `tag` or `user_ids` (the test friends)")
    if ask.wait is not None and not ask.walk:
        raise _problem("wait_scale", "only a walk (`walk: true`) has waits to shorten")


async def _testers(session: AsyncSession, ask: TestAsk) -> list[str]:
    if ask.tag is not None:
        found = await test_sends.testers_tagged(session, ask.tag, limit=MAX_TESTERS + 1)
        if not found:
            raise _problem("tag", f"no friend who follows the account has the tag {ask.tag!r}")
        if len(found) > MAX_TESTERS:
            raise _problem(
                "tag", f"more than {MAX_TESTERS} friends have the tag {ask.tag!r}: a test "
                f"goes to at most {MAX_TESTERS}; tag fewer friends"
            )  # fmt: skip
        return found
    wanted = list(dict.fromkeys(ask.user_ids or ()))
    following = await test_sends.following(session, wanted)
    errors = [
        {
            "path": f"user_ids[{position}]",
            "msg": f"{user_id} is not a friend who follows the account",
            "type": "not_following",
        }
        for position, user_id in enumerate(ask.user_ids or ())
        if user_id not in following
    ]
    if errors:
        raise DefinitionError(errors)
    return wanted


async def request(
    session: AsyncSession, scenario_id: str, ask: TestAsk, *, key: str | None = None
) -> Accepted:
    """Check the ask and record the test send (committed); the same `key` again: the test
    send it named, not a second one (a key reused for another ask: Conflict)."""
    scenario = await find(session, scenario_id)
    _shape(ask)
    fingerprint = _fingerprint(scenario_id, ask)
    if key is not None and (earlier := await _earlier(session, key, fingerprint)) is not None:
        return earlier
    version = ask.version or scenario.version
    try:
        definition = await scenarios.get_definition(
            session, scenario_id=scenario_id, version=version
        )
    except LookupError:
        raise _problem("version", f"scenario {scenario_id!r} has no version {version}") from None
    if ask.step is not None:
        step = definition.step(ask.step)
        if step is None:
            raise _problem("step", f"version {version} has no step {ask.step!r}", "unknown_step")
        if not isinstance(step, MessageStep | SurveyStep):
            raise _problem(
                "step",
                f"{ask.step!r} is a {step.type} step: only a message or survey step is sent "
                "alone (`walk: true` tests the whole scenario)",
            )
    testers = await _testers(session, ask)
    wait = (ask.wait or DEFAULT_WAIT) if ask.walk else None
    operation = operations.new(session, action="test", scenario_id=scenario_id, total=len(testers))
    test = TestSend(
        scenario_id=scenario_id,
        version=version,
        step_id=ask.step,
        wait_seconds=int(wait.total_seconds()) if wait else None,
        user_ids=testers,
        operation_id=operation.id,
        idempotency_key=key,
        fingerprint=fingerprint,
    )
    run = TestRun(step=ask.step, wait=wait or DEFAULT_WAIT)
    try:
        runs = await test_sends.record(session, test, at=utcnow())
        pipeline.record(session, list(runs.values()), run, operation_id=operation.id)
        await session.commit()
    except IntegrityError:  # the same key at the same moment: the other request's
        await session.rollback()
        if key is None or (earlier := await _earlier(session, key, fingerprint)) is None:
            raise
        return earlier
    return Accepted(test, runs, operation)


async def _earlier(session: AsyncSession, key: str, fingerprint: str) -> Accepted | None:
    test = await test_sends.by_key(session, key)
    if test is None:
        return None
    if test.fingerprint != fingerprint:
        raise Conflict(f"the Idempotency-Key {key!r} was used for another test send")
    operation = await operations.get(session, test.operation_id)
    assert operation is not None
    return Accepted(test, test_sends.runs_of(test), operation, again=True)
