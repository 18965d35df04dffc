"""A push decided against for good (its coupon closed or expired): the row says `skipped` with
the reason, the cap slot comes back, and a retried attempt gets the same answer."""

from scenarios.runs import SendOutcome
from store import deliveries
from store.tables import Delivery, Scenario
from tests.store.test_store import active_scenario_and_follower
from tests.support.stack import user

REASON = "coupon 01JYNW8JMQVFBNWF1APF8Z3FS7 is closed"


async def test_a_skipped_push_gives_the_cap_slot_back_and_stays_skipped(db):
    scenario, request = await active_scenario_and_follower(db, user(40))
    async with db.session() as s:
        delivery = await deliveries.prepare_send(s, request=request)
        assert (await s.get(Scenario, scenario.id)).sent_count == 1
    async with db.session() as s:
        await deliveries.mark_skipped(s, delivery=delivery, reason=REASON)
    assert (delivery.status, delivery.error) == ("skipped", REASON)
    async with db.session() as s:
        row = await s.get(Delivery, (request.enrollment_id, "hi"))
        assert (row.status, row.error, row.request_id) == ("skipped", REASON, None)
        assert (await s.get(Scenario, scenario.id)).sent_count == 0
        again = await deliveries.prepare_send(s, request=request)
    assert again == SendOutcome(result="skipped", error=REASON)
    async with db.session() as s:
        assert (await s.get(Scenario, scenario.id)).sent_count == 0  # not reserved again
