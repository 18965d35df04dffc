"""The dispatcher's stop (an API or worker told to stop): a round under way finishes rather
than being cancelled mid-transaction (a SQLite connection cancelled so can keep its write turn
and stall the process's last writes); one that takes too long is cancelled after `timeout`."""

import asyncio

from triggers import leases


async def test_a_round_under_way_finishes_before_the_stop_returns(stack):
    dispatcher = stack.dispatcher
    await dispatcher.stop()
    began, finished = asyncio.Event(), []

    async def slow_round() -> int:
        began.set()
        await asyncio.sleep(0.5)  # a transaction under way
        finished.append(True)
        return 0

    dispatcher.run_changes = slow_round
    await dispatcher.start()
    await asyncio.wait_for(began.wait(), 5)
    await dispatcher.stop(timeout=5)
    assert finished == [True]  # not cancelled halfway
    assert not dispatcher.running


async def test_a_round_that_does_not_end_is_cancelled_after_the_timeout(stack):
    dispatcher = stack.dispatcher
    await dispatcher.stop()
    began, cancelled = asyncio.Event(), []

    async def stuck_round() -> int:
        began.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return 0

    dispatcher.run_changes = stuck_round
    await dispatcher.start()
    await asyncio.wait_for(began.wait(), 5)
    stopping = asyncio.get_running_loop().time()
    await dispatcher.stop(timeout=0.5)
    assert cancelled == [True]
    assert asyncio.get_running_loop().time() - stopping < 3
    assert not dispatcher.running


async def test_ended_names_a_task_that_ignores_its_cancel(caplog):
    giving_up = asyncio.Event()

    async def stubborn() -> None:
        while not giving_up.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    await leases.ended([task], 0.1)
    logged = [r.getMessage() for r in caplog.records]
    assert any("did not stop" in line and "stubborn" in line for line in logged), logged
    giving_up.set()
    task.cancel()  # its sleep ends, the loop sees the event
    await asyncio.wait_for(task, 5)
