"""Settings of one emulated LINE channel."""

from dataclasses import dataclass
from pathlib import Path

# The emulated LINE Login channel (route links); the dev runner gives the API the same values.
DEFAULT_LOGIN_CHANNEL_ID = "1000000001"
DEFAULT_LOGIN_CHANNEL_SECRET = "stepline-emulator-login-channel-secret"


@dataclass
class EmulatorConfig:
    access_token: str | None  # None: any bearer token is accepted
    channel_secret: str  # signs the webhooks, as LINE does
    webhook_url: str | None = None  # None: follow/unfollow change state but send nothing
    monthly_quota: int | None = None  # None: quota type "none" (unlimited)
    rate_limit_per_second: int = 2000  # per endpoint, like LINE's push limit
    bot_user_id: str | None = None  # webhook `destination`; derived from the secret when None
    webhook_timeout_seconds: float = 10.0
    login_channel_id: str = DEFAULT_LOGIN_CHANNEL_ID  # LINE Login channel linked to the OA
    login_channel_secret: str = DEFAULT_LOGIN_CHANNEL_SECRET  # signs ID tokens (HS256)
    login_callback_urls: tuple[str, ...] | None = None  # registered callback URLs; None: any
    state_file: Path | None = None  # where the state is kept across restarts; None: memory only
