"""What the replicas run (tests/faults/replicas.py) sets up: the scenarios, the channel's cap,
the friends and the path each must get; the run's sizes and grace periods."""

from tests.faults.chaos import Friend
from tests.support.stack import user

WAIT = "PT4S"
PER_DAY = 3  # the channel's cap: messages a friend may get in any 24 hours, all scenarios
COUPONS = 12  # the coupon scenario's delivery_cap: pushes it may make in all
WORKERS, APIS = 3, 2
PUSH_RATE = 300.0  # STEPLINE_PUSH_RATE, the channel's; each worker gets a third
WORKER_GRACE = 10  # STEPLINE_WORKER_GRACE_SECONDS: for the pushes under way at a SIGTERM
GRACE = WORKER_GRACE + 5.0  # seconds a SIGTERMed worker has to exit (an orchestrator's)
BODY = 3  # follow events per webhook body
SCENARIO = {
    "name": "replicas",
    "trigger": {"type": "follow"},
    "reply_first": False,  # pushes only, as in the chaos run (tests/faults/chaos.py)
    "steps": [
        {"id": "welcome", "type": "message", "messages": [{"type": "text", "text": "welcome"}]},
        {"id": "w1", "type": "wait", "duration": WAIT},
        {
            "id": "plan",
            "type": "branch",
            "branches": [
                {
                    "label": "gold",
                    "when": {"attribute": "plan", "equals": "gold"},
                    "steps": [
                        {"id": "gold", "type": "message", "messages": [{"type": "text", "text": "gold offer"}]},  # noqa: E501
                        {"id": "extra", "type": "message", "messages": [{"type": "text", "text": "gold extra"}]},  # noqa: E501
                    ],
                },
                {
                    "label": "lite",
                    "when": {"attribute": "plan", "equals": "lite"},
                    "steps": [{"id": "pause", "type": "wait", "duration": "PT1S"}],
                },
            ],
            "otherwise": [{"id": "basic", "type": "message", "messages": [{"type": "text", "text": "basic offer"}]}],  # noqa: E501
        },
        {"id": "w2", "type": "wait", "duration": WAIT},
        {"id": "bye", "type": "message", "messages": [{"type": "text", "text": "bye"}]},
    ],
}  # fmt: skip
COUPON = {
    "name": "coupon",
    "trigger": {"type": "event", "event": "coupon"},
    "delivery_cap": COUPONS,
    "steps": [{"id": "coupon", "type": "message", "messages": [{"type": "text", "text": "coupon"}]}],  # noqa: E501
}  # fmt: skip
STEP_TEXTS = {
    "welcome": "welcome",
    "gold": "gold offer",
    "extra": "gold extra",
    "basic": "basic offer",
    "bye": "bye",
    "coupon": "coupon",
}
# gold: four pushes, of which the channel's cap lets three out today ("bye" waits a day)
GOLD = ["welcome", "gold offer", "gold extra"]
BASIC = ["welcome", "basic offer", "bye"]
LITE = ["welcome", "bye"]  # and the coupon, for those who get one of its COUPONS places


def plan_friends(count: int) -> list[Friend]:
    friends = []
    for n in range(count):
        uid = user(0x2E91_0000 + n)
        kind = ("gold", "basic", "lite")[n % 3]
        friends.append(Friend(uid, kind, {"gold": GOLD, "basic": BASIC, "lite": LITE}[kind]))
    return friends
