"""The `rich_menu` step's activity: link a rich menu to the friend (LINE's per-user rich menu)
or unlink theirs. What happened is kept as the step's decision (`linked`, `unlinked`,
`skipped`, `failed`, with the rich menu and the reason in its inputs), so the friend's
timeline shows it; a blocked friend is not asked about, and LINE's refusals (an unknown rich
menu: 404, one without an image: 400) are recorded, not retried: the enrollment goes on."""

from temporalio import activity

from activities.line_answers import retry_later
from line.client import LineError, LinePusher, LineRejected
from scenarios.runs import RichMenuRequest, RichMenuResult
from store.db import Database
from store.enrollments import record_step
from store.tables import BranchDecision, Friend
from store.upsert import insert_ignore
from workflows import contract

BLOCKED = "the friend has blocked the account (or is not a friend)"


class RichMenuActivities(contract.RichMenus):
    def __init__(self, db: Database, line: LinePusher):
        self.db, self.line = db, line

    @activity.defn
    async def change_rich_menu(self, request: RichMenuRequest) -> RichMenuResult:
        async with self.db.session() as session:
            await record_step(session, request)
            await session.commit()
            friend = await session.get(Friend, request.user_id)
            following = friend is not None and friend.following
        if not following:
            result = RichMenuResult(result="skipped", reason=BLOCKED)
        else:
            result = await self.change(request)
        async with self.db.session() as session:
            await insert_ignore(
                session,
                BranchDecision,
                [
                    {
                        "enrollment_id": request.enrollment_id,
                        "step_id": request.step_id,
                        "scenario_id": request.scenario_id,
                        "label": result.result,
                        "branch_index": None,
                        "decided_at": request.at,
                        "inputs": {"rich_menu": request.link, "reason": result.reason},
                    }
                ],
            )
            await session.commit()
        return result

    async def change(self, request: RichMenuRequest) -> RichMenuResult:
        """The LINE call: refusals are a result, a 429 or an outage is retried."""
        try:
            if request.link is None:
                await self.line.unlink_rich_menu(request.user_id)
                return RichMenuResult(result="unlinked")
            await self.line.link_rich_menu(request.user_id, request.link)
            return RichMenuResult(result="linked")
        except LineRejected as exc:
            return RichMenuResult(result="failed", reason=f"LINE {exc.status}: {exc.message}")
        except LineError as exc:  # a 429, a 5xx, a timeout: Temporal tries again
            raise retry_later(exc) from None
