"""A dispatcher stops when told, even when the cancel that tells it is swallowed on the way:
SQLAlchemy's cleanup of a session cancelled mid-query raises an error of its own
(PendingRollbackError) in place of the CancelledError. Seen: a "stopped" dispatcher that kept
acting on changes, and a test session hung closing its event loop."""

import asyncio

import pytest

from triggers.rounds import Rounds


async def _until_cancelled_then(outcome: str) -> bool:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        if outcome == "error":
            raise RuntimeError("Can't reconnect until invalid transaction is rolled back") from None
        return True  # swallowed: the round just ends
    return False


@pytest.mark.parametrize("outcome", ["error", "swallowed"])
async def test_a_loop_whose_round_swallows_the_cancel_still_stops(outcome):
    rounds = 0

    async def round_() -> bool:
        nonlocal rounds
        rounds += 1
        return await _until_cancelled_then(outcome)

    loop = asyncio.create_task(
        Rounds(db=None, poll_every=0.05)._loop(round_, asyncio.Event())  # type: ignore[arg-type]
    )
    await asyncio.sleep(0.1)
    loop.cancel()
    done, _ = await asyncio.wait([loop], timeout=2)
    assert loop in done and loop.cancelled()
    assert rounds == 1  # no round after the cancel
