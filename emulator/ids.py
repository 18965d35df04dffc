"""Identifiers shaped like LINE's: user IDs, request IDs, message IDs, tokens, webhook event IDs."""

import hashlib
import itertools
import re
import secrets
import time
import uuid

_USER_ID = re.compile(r"U[0-9a-f]{32}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Message IDs are 18-digit decimal strings that grow over time, e.g. "461230966842064897".
_message_ids = itertools.count(400_000_000_000_000_000 + time.time_ns() // 1_000_000 * 10_000)


def is_user_id(value: object) -> bool:
    return isinstance(value, str) and _USER_ID.fullmatch(value) is not None


def is_uuid(value: str) -> bool:
    """The hexadecimal 8-4-4-4-12 form LINE asks for in X-Line-Retry-Key."""
    return _UUID.fullmatch(value) is not None


def request_id() -> str:
    return str(uuid.uuid4())


def message_id() -> str:
    return str(next(_message_ids))


def quote_token() -> str:
    return secrets.token_urlsafe(96)


def reply_token() -> str:
    return secrets.token_hex(16)


def webhook_event_id() -> str:
    """A ULID: 48-bit millisecond timestamp + 80 random bits, 26 Crockford base-32 characters."""
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def bot_user_id(channel_secret: str) -> str:
    return "U" + hashlib.sha256(channel_secret.encode()).hexdigest()[:32]
