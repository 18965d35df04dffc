"""The scenarios a stepline phase activates: the wake-up at T it measures, and the --waiting
friends' wait that outlasts the run."""

from datetime import datetime


def scenario(wake: datetime) -> dict:
    """Wait until T, a branch on an attribute, a message."""
    steps = [
        {"id": "until-t", "type": "wait", "until": wake.isoformat()},
        {
            "id": "plan",
            "type": "branch",
            "branches": [
                {
                    "label": "gold",
                    "when": {"attribute": "plan", "equals": "gold"},
                    "steps": [
                        {"id": "gold", "type": "message", "messages": [{"type": "text", "text": "gold"}]}  # noqa: E501
                    ],
                }
            ],
            "otherwise": [
                {"id": "basic", "type": "message", "messages": [{"type": "text", "text": "hello"}]}
            ],
        },
    ]  # fmt: skip
    return {"name": "bench", "trigger": {"type": "follow"}, "steps": steps}


def sleepers_scenario(added_until: datetime) -> dict:
    """The --waiting friends: a wait that outlasts the run. Only follows up to `added_until`
    enter it, so the friends measured later do not."""
    return {
        "name": "bench: waiting past the run",
        "trigger": {"type": "follow", "added_until": added_until.isoformat()},
        "steps": [
            {"id": "long", "type": "wait", "duration": "P30D"},
            {"id": "later", "type": "message", "messages": [{"type": "text", "text": "later"}]},
        ],
    }
