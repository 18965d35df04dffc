"""The LINE Messaging API push, through line-bot-sdk v3's async client, with LINE's answers
sorted into what the workflow must do about them (docs/CONTRACT.md §6)."""

import json
import os
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import aiohttp
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    CouponCreateRequest,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
)

from core import metrics
from core.config import Settings
from core.linemsg import to_sdk_messages


class LineError(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message, self.status = message, status


class LineUnavailable(LineError):
    """5xx, timeouts, broken connections, 401: retry with the same retry key."""


class RateLimited(LineError):
    """429 rate limit: retry with backoff and jitter."""


class MonthlyLimit(LineError):
    """429 'You have reached your monthly limit.': hold, never retry fast."""


class LineRejected(LineError):
    """Any other 4xx: this push will never succeed; the step fails with LINE's message."""


@dataclass(frozen=True)
class LineProfile:
    """GET /v2/bot/profile/{userId}: optional fields are None when LINE leaves them out."""

    user_id: str
    display_name: str
    picture_url: str | None = None
    status_message: str | None = None
    language: str | None = None  # BCP 47; absent until the user consents to LINE's policy


@dataclass(frozen=True)
class LineQuota:
    """This month's message quota: GET /v2/bot/message/quota and …/quota/consumption."""

    type: Literal["none", "limited"]
    limit: int | None  # the plan's monthly target; None for type "none"
    used: int  # messages sent this month (one per recipient reached)


def _error_text(exc: ApiException) -> str:
    try:
        body = json.loads(exc.body or b"{}")
    except (ValueError, TypeError):
        return (exc.body or b"").decode(errors="replace")[:500] or str(exc.reason)
    message = str(body.get("message") or exc.reason)
    details = [
        f"{d.get('property', '?')}: {d.get('message', '')}"
        for d in body.get("details") or []
        if isinstance(d, dict)
    ]
    return message + (f" ({'; '.join(details)})" if details else "")


def classify(exc: ApiException) -> LineError:
    status, text = exc.status or 0, _error_text(exc)
    if status == 429:
        return (MonthlyLimit if "monthly limit" in text.lower() else RateLimited)(text, status)
    if status >= 500 or status in (0, 401, 408):
        return LineUnavailable(text, status)
    return LineRejected(text, status)


PROXY_VARIABLES = ("http_proxy", "https_proxy", "ws_proxy", "wss_proxy", "all_proxy")


def environment_to_trust() -> bool:
    """Whether aiohttp's `trust_env` has anything to find here: a proxy variable (either
    case) or a netrc file (NETRC, or ~/.netrc)."""
    names = {name.lower() for name, value in os.environ.items() if value}
    if names & set(PROXY_VARIABLES) or "NETRC" in os.environ:
        return True
    try:
        return (Path.home() / ".netrc").exists()
    except RuntimeError:  # no home directory to look in
        return False


class LinePusher:
    """One async client (one HTTP connection pool) per worker process."""

    def __init__(self, api: AsyncMessagingApi, client: AsyncApiClient, timeout: float):
        self.api, self.client, self.timeout = api, client, timeout

    @classmethod
    def from_settings(cls, settings: Settings, *, timeout: float | None = None) -> "LinePusher":
        token = settings.line_channel_access_token
        configuration = Configuration(
            host=settings.line_api_base, access_token=token.get_secret_value() if token else ""
        )
        client = AsyncApiClient(configuration)
        if not environment_to_trust():
            # the SDK's aiohttp session trusts the environment: two thread hops a request
            # to look for a proxy and a netrc entry — with none there, only their cost
            client.rest_client.pool_manager._trust_env = False
        return cls(AsyncMessagingApi(client), client, timeout or settings.line_timeout)

    async def push(
        self, *, to: str, messages: list[dict], retry_key: str, silent: bool = False
    ) -> str | None:
        """LINE's request id of the accepted push (after a 409: of the first, accepted one).
        `silent`: LINE's notificationDisabled (no sound or banner on the phone)."""
        request = PushMessageRequest(
            to=to, messages=to_sdk_messages(messages), notification_disabled=silent
        )
        return await self._accepted(
            "push",
            self.api.push_message_with_http_info(
                request, x_line_retry_key=retry_key, _request_timeout=self.timeout
            ),
        )

    async def multicast(
        self, *, to: list[str], messages: list[dict], retry_key: str, silent: bool = False
    ) -> str | None:
        """The same messages to up to 500 friends in one request (each counted, as pushes
        are); LINE's request id, or after a 409 that of the first, accepted one."""
        request = MulticastRequest(
            to=to, messages=to_sdk_messages(messages), notification_disabled=silent
        )
        return await self._accepted(
            "multicast",
            self.api.multicast_with_http_info(
                request, x_line_retry_key=retry_key, _request_timeout=self.timeout
            ),
        )

    async def reply(self, *, token: str, messages: list[dict], silent: bool = False) -> str | None:
        """LINE's request id of the accepted reply (free: not counted in the plan). LINE takes
        no retry key here: a reply whose answer is lost must not be sent again."""
        request = ReplyMessageRequest(
            reply_token=token, messages=to_sdk_messages(messages), notification_disabled=silent
        )
        return await self._accepted(
            "reply", self.api.reply_message_with_http_info(request, _request_timeout=self.timeout)
        )

    async def _accepted(self, endpoint: str, call: Awaitable[Any]) -> str | None:
        """A message request's answer: LINE's request id, or its error sorted (`classify`);
        a 409 (the retry key was accepted before) is the first request's acceptance."""
        try:
            response = await metrics.line_call(endpoint, call)
        except ApiException as exc:
            if exc.status == 409:
                return exc.headers.get("x-line-accepted-request-id") if exc.headers else None
            raise classify(exc) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise LineUnavailable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
        return (response.headers or {}).get("x-line-request-id")

    async def get_profile(self, user_id: str) -> LineProfile | None:
        """The friend's LINE profile; None when LINE answers 404 (not a friend, blocked, or no
        such user). Other LINE errors raise like pushes do (see `classify`)."""
        try:
            profile = await metrics.line_call(
                "profile", self.api.get_profile(user_id, _request_timeout=self.timeout)
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise classify(exc) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise LineUnavailable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
        return LineProfile(
            user_id=profile.user_id,
            display_name=profile.display_name,
            picture_url=profile.picture_url,
            status_message=profile.status_message,
            language=profile.language,
        )

    async def get_quota(self) -> LineQuota:
        """The monthly target and this month's usage, both from LINE; its errors raise like
        pushes do (see `classify`), and an answer the SDK cannot read is LineUnavailable."""
        try:
            quota = await metrics.line_call(
                "quota", self.api.get_message_quota(_request_timeout=self.timeout)
            )
            consumption = await metrics.line_call(
                "quota_consumption",
                self.api.get_message_quota_consumption(_request_timeout=self.timeout),
            )
        except ApiException as exc:
            raise classify(exc) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise LineUnavailable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
        except ValueError as exc:  # a body that is not the documented shape
            raise LineUnavailable(f"unreadable quota answer: {exc}") from None
        kind = "limited" if quota.type == "limited" else "none"
        limit = quota.value if kind == "limited" else None
        if kind == "limited" and limit is None:
            raise LineUnavailable("quota type 'limited' came without a value")
        return LineQuota(type=kind, limit=limit, used=consumption.total_usage)

    async def _call(self, name: str, call):
        """One LINE call, timed as `name`; its errors sorted as pushes' are (see `classify`:
        a 404 is a LineRejected with status 404)."""
        try:
            return await metrics.line_call(name, call)
        except ApiException as exc:
            raise classify(exc) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise LineUnavailable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None

    async def create_coupon(self, body: dict) -> str:
        """POST /v2/bot/coupon with a CouponCreateRequest (LINE's JSON shape): the coupon id."""
        request = CouponCreateRequest.from_dict(body)
        created = await self._call(
            "coupon_create", self.api.create_coupon(request, _request_timeout=self.timeout)
        )
        return created.coupon_id

    async def get_coupon(self, coupon_id: str) -> dict | None:
        """The coupon's detail (CouponResponse, LINE's JSON shape); None when LINE answers 404."""
        try:
            coupon = await self._call(
                "coupon", self.api.get_coupon_detail(coupon_id, _request_timeout=self.timeout)
            )
        except LineRejected as exc:
            if exc.status == 404:
                return None
            raise
        except ValueError as exc:  # a body that is not the documented shape
            raise LineUnavailable(f"unreadable coupon answer: {exc}") from None
        return coupon.to_dict()

    async def link_rich_menu(self, user_id: str, rich_menu_id: str) -> None:
        await self._call(
            "richmenu_link",
            self.api.link_rich_menu_id_to_user(
                user_id, rich_menu_id, _request_timeout=self.timeout
            ),
        )

    async def unlink_rich_menu(self, user_id: str) -> None:
        await self._call(
            "richmenu_unlink",
            self.api.unlink_rich_menu_id_from_user(user_id, _request_timeout=self.timeout),
        )

    async def close(self) -> None:
        await self.client.close()
