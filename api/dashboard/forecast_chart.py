"""The quota forecast as the channel page draws it (app/forecast.py): an inline SVG in two
panels sharing the days — above, each month's running total against the plan's limit and what
step delivery may send (`allowed`); below, a bar for each day's projected pushes — with a mark
where next month begins and a date every 7 days. Only numbers here: the template writes the
words (translated) and the page's CSP allows no script, so nothing is drawn in the browser."""

from dataclasses import dataclass, field
from datetime import date

from app.forecast import Forecast

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT = 56, 12  # room for the axis' numbers
TOTALS_TOP, TOTALS_BOTTOM = 24, 144  # the running totals' panel
BARS_TOP, BARS_BOTTOM = 172, 262  # the days' bars
LABELS_Y = 280
TICK_EVERY = 7  # a date under every 7th day


@dataclass(frozen=True)
class Bar:
    date: date
    x: float
    y: float
    width: float
    height: float
    projected: float
    total: float


@dataclass(frozen=True)
class Tick:
    x: float
    label: str  # MM-DD


@dataclass(frozen=True)
class Level:
    """A horizontal line across the totals' panel: the plan's limit, or `allowed`."""

    y: float
    value: int


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    totals_top: int = TOTALS_TOP
    totals_bottom: int = TOTALS_BOTTOM
    bars_top: int = BARS_TOP
    bars_bottom: int = BARS_BOTTOM
    labels_y: int = LABELS_Y
    bars: list[Bar] = field(default_factory=list)
    totals: list[str] = field(default_factory=list)  # a polyline's points for each month
    ticks: list[Tick] = field(default_factory=list)
    limit: Level | None = None
    allowed: Level | None = None
    boundary_x: float | None = None  # where next month's first day begins
    boundary_label: str = ""  # next month, YYYY-MM
    bar_max: float = 0.0  # the bars' scale: the busiest day
    total_max: float = 0.0  # the totals' scale: the limit or the largest total


def _scale(value: float, top: float, bottom: float, most: float) -> float:
    return round(bottom - (bottom - top) * (value / most if most else 0.0), 1)


def chart(found: Forecast) -> Chart:
    drawn = Chart()
    days = found.days
    if not days:
        return drawn
    step = (drawn.right - drawn.left) / len(days)
    bar_width = round(max(step * 0.7, 1.0), 1)
    drawn.bar_max = max(day.projected for day in days)
    levels = [v for v in (found.plan.limit, found.plan.allowed) if v is not None]
    drawn.total_max = max([day.total for day in days] + levels) or 1.0
    bar_most = drawn.bar_max or 1.0
    points: dict[str, list[str]] = {}
    for index, day in enumerate(days):
        x = drawn.left + index * step
        top = _scale(day.projected, drawn.bars_top, drawn.bars_bottom, bar_most)
        drawn.bars.append(
            Bar(
                date=day.date,
                x=round(x + (step - bar_width) / 2, 1),
                y=top,
                width=bar_width,
                height=round(drawn.bars_bottom - top, 1),
                projected=day.projected,
                total=day.total,
            )
        )
        middle = round(x + step / 2, 1)
        y = _scale(day.total, drawn.totals_top, drawn.totals_bottom, drawn.total_max)
        points.setdefault(day.date.strftime("%Y-%m"), []).append(f"{middle},{y}")
        if index % TICK_EVERY == 0:
            drawn.ticks.append(Tick(x=middle, label=day.date.strftime("%m-%d")))
        if day.date.day == 1 and index > 0:
            drawn.boundary_x = round(x, 1)
            drawn.boundary_label = day.date.strftime("%Y-%m")
    drawn.totals = [" ".join(line) for line in points.values()]
    top, bottom = drawn.totals_top, drawn.totals_bottom
    if found.plan.limit is not None:
        drawn.limit = Level(
            _scale(found.plan.limit, top, bottom, drawn.total_max), found.plan.limit
        )
    allowed = found.plan.allowed
    if allowed is not None and allowed != found.plan.limit:
        drawn.allowed = Level(_scale(allowed, top, bottom, drawn.total_max), allowed)
    return drawn


@dataclass(frozen=True)
class Alert:
    """What the page's warning says, in words the template translates: the plan runs out
    (`runs_out`) or step delivery reaches the reserve (`reserve`), on which day."""

    kind: str
    on: date
    month: str
    total: int
    limit: int | None
    reserve_percent: int


def alert(found: Forecast) -> Alert | None:
    """The first month the forecast warns of, as app/forecast.py words its `warning`."""
    if not found.warning:
        return None
    plan = found.plan
    for month in found.months:
        if month.runs_out_on is not None:
            kind, on = "runs_out", month.runs_out_on
        elif month.reserve_reached_on is not None and plan.reserve_percent:
            kind, on = "reserve", month.reserve_reached_on
        else:
            continue
        total = round(month.total)
        return Alert(kind, on, month.month, total, plan.limit, plan.reserve_percent)
    return None
