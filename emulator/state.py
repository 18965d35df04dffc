"""Everything the emulated LINE platform remembers: friends, deliveries, retry keys, reply
tokens, quota, faults.

Plain synchronous code: the FastAPI handlers call it between awaits, so no locking is needed.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

from emulator.config import EmulatorConfig
from emulator.ids import bot_user_id
from emulator.names import display_name
from emulator.reply_tokens import ReplyTokens

RETRY_KEY_LIFETIME = 24 * 3600  # seconds; LINE honours a retry key for 24 hours
JST = timezone(timedelta(hours=9))  # LINE's quota month follows Japan time

Reason = Literal["blocked", "not a friend"]


@dataclass
class User:
    user_id: str
    state: Literal["friend", "blocked"]
    display_name: str
    language: str | None = None
    picture_url: str | None = None
    status_message: str | None = None

    def profile(self) -> dict:
        """GET /v2/bot/profile body: optional fields are left out when unknown, as LINE does."""
        optional = {
            "pictureUrl": self.picture_url,
            "statusMessage": self.status_message,
            "language": self.language,
        }
        profile = {"userId": self.user_id, "displayName": self.display_name}
        return profile | {k: v for k, v in optional.items() if v is not None}


@dataclass
class Delivery:
    """One accepted message request to one recipient (a multicast yields one per recipient;
    a reply goes to the user whose webhook event carried the reply token)."""

    request_id: str
    to: str
    messages: list[dict]
    retry_key: str | None
    delivered: bool
    reason: Reason | None
    received_at: datetime
    silent: bool = False  # notificationDisabled: delivered without a notification
    via: Literal["push", "reply"] = "push"  # push and multicast, or the reply API (free)

    def to_json(self) -> dict:
        return asdict(self) | {"received_at": self.received_at.isoformat()}


@dataclass
class FriendMessage:
    """What a friend did in the chat: a text they sent, or an option they tapped (a postback;
    `text` is its displayText, shown as their message, or None when LINE shows nothing)."""

    user_id: str
    kind: Literal["message", "postback"]
    text: str | None
    data: str | None  # the postback's data
    params: dict[str, str] | None
    at: datetime
    after: int  # how many deliveries (all users) came before it: its place in the chat

    def to_json(self) -> dict:
        return asdict(self) | {"at": self.at.isoformat()}


@dataclass
class AcceptedRequest:
    request_id: str
    sent_messages: list[dict] | None  # what a push answered; None for a multicast
    accepted_at: float


@dataclass
class LoginCode:
    """A LINE Login authorization code: one use, 10 minutes, bound to what it was issued for."""

    code: str
    client_id: str
    redirect_uri: str
    nonce: str | None
    scope: str
    user_id: str
    issued_at: float
    profile: dict[str, str] = field(default_factory=dict)  # name/picture the user logged in with
    used: bool = False


@dataclass
class Fault:
    status: int | None = None
    message: str | None = None
    times: int = 1
    delay_seconds: float | None = None
    accept_then_drop: bool = False
    user_id: str | None = None
    # the LINE endpoints it hits (as `_gate` names them); quota reads only when asked for
    endpoints: tuple[str, ...] = ("push", "multicast")

    def to_json(self) -> dict:
        return asdict(self)


class EmulatorState:
    def __init__(self, config: EmulatorConfig, clock=None) -> None:
        self.config = config
        self.bot_user_id = config.bot_user_id or bot_user_id(config.channel_secret)
        self.clock = clock or (lambda: datetime.now(UTC).timestamp())  # seconds; tests may replace
        self.reset()

    def reset(self) -> None:
        self.users: dict[str, User] = {}
        self.deliveries: list[Delivery] = []
        self.retry_keys: dict[str, AcceptedRequest] = {}
        self.reply_tokens = ReplyTokens(lambda: self.clock())  # issued in webhook events
        self.faults: list[Fault] = []
        self.monthly_quota: int | None = self.config.monthly_quota
        self._consumption = 0
        self._quota_month = self._month()
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self.calls: Counter[str] = Counter()  # requests per endpoint name (profile, token …)
        self.conflicts: Counter[str] = Counter()  # 409s per endpoint: a retry key already accepted
        # faults a request took that was answered 409 all the same (a retry of one accepted):
        # they lost no answer (a multicast's retry takes the fault of another of its friends)
        self.faults_on_conflicts = 0
        self.login_codes: dict[str, LoginCode] = {}
        # the Coupon API (emulator/coupons.py) and rich menus (emulator/richmenus.py)
        self.coupons: dict[str, dict] = {}  # couponId → what was created, plus its state
        self.rich_menus: dict[str, dict] = {}  # richMenuId → the rich menu object
        self.rich_menu_links: dict[str, str] = {}  # userId → the per-user rich menu linked
        self.friend_messages: list[FriendMessage] = []  # what friends sent or tapped, in order
        self.names: set[str] = set()  # display names given out or set: a new one avoids them

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # --- friends -------------------------------------------------------------------------

    def follow(self, user_id: str, **profile: str | None) -> bool:
        """Make `user_id` a friend; True when this unblocks a user who had blocked the account."""
        user = self.users.get(user_id)
        was_blocked = user is not None and user.state == "blocked"
        if user is None:
            user = self._new_user(user_id, "friend", profile.get("display_name"))
        user.state = "friend"
        for key, value in profile.items():
            if value is not None:
                setattr(user, key, value)
        self.names.add(user.display_name)
        return was_blocked

    def unfollow(self, user_id: str) -> None:
        user = self.users.get(user_id) or self._new_user(user_id, "blocked")
        user.state = "blocked"

    def _new_user(self, user_id: str, state: Literal["friend", "blocked"], name=None) -> User:
        """A user first seen: the name given, else a readable one no other user has."""
        user = self.users[user_id] = User(user_id, state, name or display_name(user_id, self.names))
        self.names.add(user.display_name)
        return user

    def friend_sent(
        self,
        user_id: str,
        kind: Literal["message", "postback"],
        text: str | None,
        data: str | None = None,
        params: dict[str, str] | None = None,
    ) -> FriendMessage:
        sent = FriendMessage(user_id, kind, text, data, params, self.now(), len(self.deliveries))
        self.friend_messages.append(sent)
        return sent

    def undeliverable_reason(self, user_id: str) -> Reason | None:
        user = self.users.get(user_id)
        if user is None:
            return "not a friend"
        return "blocked" if user.state == "blocked" else None

    # --- monthly quota (only messages that reach someone count, one per recipient) --------

    def _month(self) -> tuple[int, int]:
        now = self.now().astimezone(JST)
        return now.year, now.month

    @property
    def consumption(self) -> int:
        if self._month() != self._quota_month:
            self._quota_month, self._consumption = self._month(), 0
        return self._consumption

    @consumption.setter
    def consumption(self, value: int) -> None:
        self._quota_month, self._consumption = self._month(), value

    def quota_exceeded_by(self, count: int) -> bool:
        return self.monthly_quota is not None and self.consumption + count > self.monthly_quota

    # --- rate limit: a sliding one-second window per endpoint -----------------------------

    def over_rate_limit(self, endpoint: str) -> bool:
        now, window = self.clock(), self._hits[endpoint]
        while window and window[0] <= now - 1:
            window.popleft()
        if len(window) >= self.config.rate_limit_per_second:
            return True
        window.append(now)
        return False

    # --- retry keys -----------------------------------------------------------------------

    def accepted_request(self, retry_key: str) -> AcceptedRequest | None:
        accepted = self.retry_keys.get(retry_key)
        if accepted and self.clock() - accepted.accepted_at >= RETRY_KEY_LIFETIME:
            del self.retry_keys[retry_key]
            return None
        return accepted

    # --- faults ---------------------------------------------------------------------------

    def take_fault(
        self, endpoint: str, recipients: list[str] | tuple[str, ...] = ()
    ) -> Fault | None:
        """The first queued fault that applies to a request to `endpoint` for `recipients`
        (consumes one use); a fault for one user never applies to reads such as the quota."""
        for fault in self.faults:
            if endpoint not in fault.endpoints:
                continue
            if fault.user_id is None or fault.user_id in recipients:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # --- accepting a message request ------------------------------------------------------

    def accept(
        self,
        request_id: str,
        recipients: list[str],
        messages: list[dict],
        retry_key: str | None,
        sent_messages: list[dict] | None,
        *,
        silent: bool = False,
        via: Literal["push", "reply"] = "push",
    ) -> None:
        """Record a request LINE accepted; what reaches someone counts towards the monthly
        quota, except replies (free on LINE)."""
        received_at = self.now()
        for user_id in recipients:
            reason = self.undeliverable_reason(user_id)
            self.deliveries.append(
                Delivery(
                    request_id,
                    user_id,
                    messages,
                    retry_key,
                    reason is None,
                    reason,
                    received_at,
                    silent,
                    via,
                )
            )
            if reason is None and via == "push":
                self.consumption += 1
        if retry_key is not None:
            self.retry_keys[retry_key] = AcceptedRequest(request_id, sent_messages, self.clock())
