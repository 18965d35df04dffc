"""The channel's delivery policy (one per channel, `PUT /channel/policy`): quiet hours,
calendars and closed days, frequency caps, spacing of held messages, the share of the LINE plan kept back,
and what the plan gives free and a message beyond it costs."""

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from core.closed_days import parse as parse_closed
from domain.durations import period_of
from domain.steps import Window

MAX_GAP = timedelta(days=1)


def _closed_day(entry: str) -> str:
    parse_closed(entry)  # its ValueError says what is wrong with the entry
    return entry.strip()


ClosedDay = Annotated[str, Field(max_length=21), AfterValidator(_closed_day)]


class ChannelPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # no sends in these hours (in each scenario's timezone); may span midnight: 21:00–09:00
    quiet_hours: Window | None = None
    # what a message due in the quiet hours does: `hold` until they end, or go out at once
    # `silent` (LINE's notificationDisabled: no sound or banner)
    quiet_hours_mode: Literal["hold", "silent"] = "hold"
    skip_weekends: bool = False  # Saturdays and Sundays
    skip_holidays: bool = False  # public holidays of `holiday_country`
    holiday_country: str = Field("JP", pattern=r"^[A-Z]{2}$")
    # days nothing is sent (in each scenario's timezone): `2026-12-31`, `2026-12-29/2027-01-03`,
    # every year `12-31` or `12-29/01-03`; held like quiet hours, released with the gap
    closed_days: tuple[ClosedDay, ...] = Field((), max_length=100)
    max_per_day: int | None = Field(None, ge=1, le=1000)  # per friend, any 24 hours, all scenarios
    max_per_week: int | None = Field(None, ge=1, le=10_000)  # per friend, any 7 days
    # a friend gets held messages at least this far apart, never several at the same moment
    catch_up_gap: str = "PT1M"
    # percent of the monthly plan step delivery leaves for manual broadcasts
    quota_reserve_percent: int = Field(0, ge=0, le=90)
    # what one counted message costs beyond the plan's free ones (yen; stats show costs with it)
    message_price_yen: float | None = Field(None, ge=0, le=1000, allow_inf_nan=False)
    # the plan's free messages a month (200, 5,000, 30,000 …)
    free_messages: int | None = Field(None, ge=0, le=100_000_000)

    @field_validator("catch_up_gap")
    @classmethod
    def _gap(cls, value: str) -> str:
        period_of(value, MAX_GAP)
        return value

    @field_validator("holiday_country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        import holidays

        if value not in holidays.list_supported_countries():
            raise ValueError(f"no holiday calendar for {value!r} (e.g. JP)")
        return value

    @property
    def gap(self) -> timedelta:
        return period_of(self.catch_up_gap, MAX_GAP)

    @property
    def calendar_rules(self) -> bool:
        return bool(
            self.quiet_hours or self.skip_weekends or self.skip_holidays or self.closed_days
        )
