"""The channel: its delivery policy as a form (checked by the same strict model
`PUT /channel/policy` takes, with its messages on the fields), LINE's monthly quota as
`GET /channel/quota` answers it (app/channel.py), and the quota forecast as
`GET /channel/quota/forecast` makes it (app/forecast.py), drawn by forecast_chart.py."""

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.dashboard.auth import require_viewer
from api.dashboard.csrf import require_form_token
from api.dashboard.forecast_chart import alert, chart
from api.dashboard.forms import Problems, posted, problems_of, text
from api.dashboard.web import PageRoute, render
from api.deps import ServicesDep
from app import channel
from app import forecast as quota_forecast
from scenarios.policy import ChannelPolicy

log = logging.getLogger("stepline.dashboard")

router = APIRouter(route_class=PageRoute, dependencies=[Depends(require_viewer)])
NUMBERS = ("max_per_day", "max_per_week", "quota_reserve_percent")
NUMBERS += ("message_price_yen", "free_messages")  # what a message costs (the stats' costs)
TEXTS = ("holiday_country", "catch_up_gap")
CHECKS = ("skip_weekends", "skip_holidays")


def _shown(policy: ChannelPolicy) -> dict[str, Any]:
    """The policy as the form shows it (every field a string, a box ticked or not)."""
    hours = policy.quiet_hours
    shown: dict[str, Any] = {
        "quiet_hours.start": hours.start if hours else "",
        "quiet_hours.end": hours.end if hours else "",
    }
    for name in (*NUMBERS, *TEXTS):
        value = getattr(policy, name)
        shown[name] = "" if value is None else str(value)
    shown["closed_days"] = "\n".join(policy.closed_days)
    shown["quiet_hours_silent"] = policy.quiet_hours_mode == "silent"
    return shown | {name: getattr(policy, name) for name in CHECKS}


def _body(form: FormData, problems: Problems) -> tuple[dict[str, Any], dict[str, Any]]:
    """What `PUT /channel/policy` would be sent (a field left empty is left out: its
    default), and the form as typed."""
    body: dict[str, Any] = {}
    start = text(form, "quiet_hours.start", problems)
    end = text(form, "quiet_hours.end", problems)
    if start or end:
        body["quiet_hours"] = {"start": start, "end": end}
    for name in (*NUMBERS, *TEXTS):
        typed = text(form, name, problems)
        if typed:
            body[name] = typed
    for name in CHECKS:
        body[name] = form.get(name) == "true"
    silent = form.get("quiet_hours_silent") == "true"
    body["quiet_hours_mode"] = "silent" if silent else "hold"
    closed = text(form, "closed_days", problems)  # one a line
    body["closed_days"] = [line.strip() for line in closed.splitlines() if line.strip()]
    typed = {"quiet_hours.start": start, "quiet_hours.end": end, "closed_days": closed}
    typed["quiet_hours_silent"] = silent
    typed |= {name: body.get(name, "") for name in (*NUMBERS, *TEXTS, *CHECKS)}
    return body, typed


async def _page(
    request: Request, services, form: dict[str, Any] | None, problems: Problems, status: int
) -> Response:
    async with services.db.reading() as session:
        policy = await channel.policy(session)
        try:
            quota, quota_problem = (
                await channel.quota(session, services.settings, services.line),
                None,
            )
        except channel.QuotaUnknown as exc:
            quota, quota_problem = None, str(exc)
        try:
            found = await quota_forecast.forecast(
                session, services.definitions, services.settings, services.line
            )
        except Exception:  # the page still shows the policy and the quota
            log.exception("the channel page's quota forecast failed")
            found = None
    context = {
        "form": _shown(policy) if form is None else form,
        "problems": problems,
        "quota": quota,
        "quota_problem": quota_problem,
        "forecast": found,
        "chart": chart(found) if found else None,
        "alert": alert(found) if found else None,
        "saved": request.query_params.get("saved") == "1",
    }
    return render(request, "channel.html", context, status)


@router.get("/dashboard/channel")
async def channel_page(request: Request, services: ServicesDep) -> Response:
    """The policy form, filled with the policy in force, this month's quota and the
    forecast."""
    return await _page(request, services, None, {}, 200)


@router.post("/dashboard/channel/policy", dependencies=[Depends(require_form_token)])
async def save_policy(request: Request, services: ServicesDep) -> Response:
    """Replace the whole policy, as `PUT /channel/policy` does."""
    problems: Problems = {}
    body, typed = _body(await posted(request), problems)
    try:
        policy = ChannelPolicy.model_validate(body)
    except ValidationError as error:
        found = problems_of(error)
        for key in [key for key in found if key.startswith("closed_days.")]:  # its line's
            found.setdefault("closed_days", found.pop(key))
        problems = found | problems
    if problems:
        return await _page(request, services, typed, problems, 422)
    async with services.db.session() as session:
        await channel.replace_policy(session, policy)
    return RedirectResponse("/dashboard/channel?saved=1", status_code=303)
