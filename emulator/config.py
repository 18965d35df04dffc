"""Settings of one emulated LINE channel."""

from dataclasses import dataclass


@dataclass
class EmulatorConfig:
    access_token: str | None  # None: any bearer token is accepted
    channel_secret: str  # signs the webhooks, as LINE does
    webhook_url: str | None = None  # None: follow/unfollow change state but send nothing
    monthly_quota: int | None = None  # None: quota type "none" (unlimited)
    rate_limit_per_second: int = 2000  # per endpoint, like LINE's push limit
    bot_user_id: str | None = None  # webhook `destination`; derived from the secret when None
    webhook_timeout_seconds: float = 10.0
