"""Reply tokens: the emulator gives one in every follow, postback and text-message webhook event
it sends. As on LINE, a token can be used for one reply, within a minute of its event; a used or
expired one is forgotten, so only the tokens of the last minute are kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from emulator.ids import reply_token

REPLY_TOKEN_LIFETIME = 60.0  # seconds; LINE: "must be used within one minute"


@dataclass
class ReplyToken:
    user_id: str  # the user whose event carried it: the one a reply goes to
    issued_at: float  # the emulator's clock (seconds) when the event was made


class ReplyTokens:
    """The reply tokens issued and not yet used, oldest first."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._issued: dict[str, ReplyToken] = {}

    def issue(self, user_id: str, token: str | None = None) -> str:
        """Remember `token` (a new one unless given) as issued to `user_id` now."""
        self._prune()
        token = token or reply_token()
        self._issued.pop(token, None)  # re-issued: it goes last, with its new time
        self._issued[token] = ReplyToken(user_id, self._clock())
        return token

    def user_of(self, token: str) -> str | None:
        """Whom a reply with `token` goes to; None if it is unknown, used or expired."""
        self._prune()
        issued = self._issued.get(token)
        if issued is None or self._expired(issued):
            return None
        return issued.user_id

    def use(self, token: str) -> str | None:
        """Use `token` up: whom the reply goes to, or None if it cannot be used."""
        user_id = self.user_of(token)
        if user_id is not None:
            del self._issued[token]
        return user_id

    def get(self, token: str) -> ReplyToken | None:
        """What is remembered of `token` (expired ones until they are pruned)."""
        return self._issued.get(token)

    def __len__(self) -> int:
        return len(self._issued)

    def _expired(self, issued: ReplyToken) -> bool:
        return self._clock() - issued.issued_at >= REPLY_TOKEN_LIFETIME

    def _prune(self) -> None:
        """Forget expired tokens from the oldest on (they were issued in clock order)."""
        while self._issued:
            oldest = next(iter(self._issued))
            if not self._expired(self._issued[oldest]):
                return
            del self._issued[oldest]
