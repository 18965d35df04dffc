"""The states an enrollment and a delivery row are in, as stored, queried and served: the
same strings in the database, the JSON and the Temporal payloads."""

from enum import StrEnum
from typing import Literal

Status = Literal[
    "waiting", "sending", "held", "completed", "blocked", "exited", "ended", "capped", "failed"
]
LIVE = ("waiting", "sending", "held")
FINAL = ("completed", "blocked", "exited", "ended", "capped", "failed")
# window: the step's window; quiet: the channel's quiet hours, weekends, holidays; frequency: a
# per-friend cap, or spacing after other held messages; pause; quota: LINE's monthly limit
HoldReason = Literal["window", "quiet", "frequency", "pause", "quota", "blocked"]


class DeliveryStatus(StrEnum):
    """A message step's delivery row (store/deliveries.py)."""

    RESERVED = "reserved"  # pushed, LINE's answer not recorded yet
    SENT = "sent"  # LINE accepted the push
    FAILED = "failed"  # LINE refused it
    UNCONFIRMED = "unconfirmed"  # pushed, the enrollment stopped before LINE's answer was seen
    SKIPPED = "skipped"  # not pushed, for good: its coupon closed or expired (the row says why)


class DeliveryVia(StrEnum):
    """How a delivery row's messages went to LINE."""

    PUSH = "push"  # the push API: counted in the plan's messages
    REPLY = "reply"  # the reply API, with the token of the webhook event that started it: free


# rows of messages pushed, or being pushed: what a friend's caps and spacing count
PUSHED = (DeliveryStatus.RESERVED, DeliveryStatus.SENT, DeliveryStatus.UNCONFIRMED)
