"""The scenario page's `from` / `to`: a day (in the scenario's timezone; `to` takes the whole
day) or an ISO-8601 moment with its UTC offset, as the stats API takes."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.dashboard.i18n import N_
from api.dashboard.web import PageError

MAX_LENGTH = 40
# what `from` and `to` take, said in each message (whole sentences, for the translations)
TOO_LONG = N_(
    "is too long: write a day (2026-01-31) or a date and time with its UTC offset"
    " (2026-01-31T09:00:00+09:00)"
)
NO_OFFSET = N_(
    "has no UTC offset: write a day (2026-01-31) or a date and time with its UTC offset"
    " (2026-01-31T09:00:00+09:00)"
)
NOT_A_MOMENT = N_(
    "is not a day (2026-01-31) or a date and time with its UTC offset (2026-01-31T09:00:00+09:00)"
)


@dataclass
class Period:
    start: datetime | None = None
    end: datetime | None = None

    def query(self) -> dict[str, str]:
        """The same period as the stats API's parameters."""
        found = {"from": self.start, "to": self.end}
        return {name: moment.isoformat() for name, moment in found.items() if moment}


def _moment(field: str, value: str | None, zone: str, *, end: bool) -> datetime | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > MAX_LENGTH:
        raise PageError(422, TOO_LONG, field)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(), ZoneInfo(zone))
            if end:
                moment += timedelta(days=1)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                raise PageError(422, NO_OFFSET, field)
        return moment.astimezone(UTC)
    except PageError:
        raise
    except (ValueError, OverflowError):
        raise PageError(422, NOT_A_MOMENT, field) from None


def parse_period(start: str | None, end: str | None, zone: str) -> Period:
    period = Period(_moment("from", start, zone, end=False), _moment("to", end, zone, end=True))
    if period.start and period.end and period.start >= period.end:
        raise PageError(422, N_("must be after `from`"), "to")
    return period
