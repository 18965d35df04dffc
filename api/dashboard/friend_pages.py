"""Friends: a search over recent friends, and a friend's page (profile, attributes, tags,
enrollments and the timeline of what happened to them)."""

import contextlib
import re
from datetime import datetime
from gettext import NullTranslations
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import col, select

from api.dashboard.auth import require_viewer
from api.dashboard.i18n import N_, translations
from api.dashboard.web import (
    PageError,
    PageRoute,
    emulator_url,
    live_url,
    render,
    render_off_loop,
    temporal_link,
    wants_fragment,
    when,
)
from api.deps import ServicesDep
from app import friends
from app.errors import NotFound
from app.timeline import told
from app.wording import describe
from domain.ids import USER_ID_PATTERN
from domain.moments import Moment
from store import timeline_records
from store.friends import search as search_friends
from store.tables import Scenario

router = APIRouter(route_class=PageRoute, dependencies=[Depends(require_viewer)])
USER_ID = re.compile(USER_ID_PATTERN)
LISTED = 50  # friends a search shows
TIMELINE = 200  # newest timeline entries shown
ENROLLMENTS = 100
Fragment = Annotated[str | None, Query(max_length=20)]


@router.get("/dashboard/friends")
async def friend_search(
    request: Request,
    services: ServicesDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Recent friends, or those whose user ID starts with `q` or whose name contains it."""
    text = q.strip()
    if "\x00" in text:
        raise PageError(422, N_("must not hold a NUL character"), "q")
    async with services.db.reading() as session:
        found = await search_friends(session, text, limit=LISTED)
    return render(request, "friends.html", {"friends": found, "q": text, "listed": LISTED})


@router.get("/dashboard/friends/{user_id}")
async def friend_page(
    request: Request,
    user_id: str,
    services: ServicesDep,
    fragment: Fragment = None,
    before: Annotated[Moment | None, Query()] = None,
) -> Response:
    """One friend: profile, attributes, tags, enrollments and timeline (its newest TIMELINE
    entries, or with `before` the ones before: "Older entries")."""
    live = wants_fragment(fragment)
    if not USER_ID.match(user_id):
        raise PageError(
            404,
            N_("There is no friend %(user_id)s (a LINE user ID is U + 32 hex)."),
            user_id=repr(user_id),
        )
    async with services.db.reading() as session:  # no write turn held while Temporal answers
        try:
            friend = await friends.profile(session, user_id, limit=ENROLLMENTS)
        except NotFound:
            raise PageError(404, N_("There is no friend %(user_id)s."), user_id=user_id) from None
        rows = friend["enrollments"]
        records = await timeline_records.read(
            session, user_id=user_id, limit=TIMELINE, before=before
        )
        listed = (
            await session.exec(
                select(Scenario.id, Scenario.name, Scenario.version).where(
                    col(Scenario.id).in_(
                        {row.scenario_id for row in rows}
                        | {row.scenario_id for row in (records.enrollments if records else [])}
                    )
                )
            )
        ).all()
        names = {scenario_id: name for scenario_id, name, _ in listed}
        zones = {}  # each scenario's entries in its timezone
        for scenario_id, _, version in listed:
            with contextlib.suppress(LookupError):  # a version not stored: the channel's zone
                definition = await services.definitions.get(scenario_id, version, session=session)
                zones[scenario_id] = definition.timezone
    story = await _timeline(services, records, before, translations(request))
    emulator = emulator_url(services.settings)
    context = {
        "friend": friend,
        "tags": friend["tags"],
        "enrollments": [
            {"row": row, "temporal": temporal_link(services.settings, row.id)} for row in rows
        ],
        "timeline": story,
        "names": names,  # scenario names by id
        "zones": zones,  # scenario timezones by id
        "chat_url": f"{emulator}/emulator/chat/{user_id}" if emulator else None,
        "live_url": live_url(request),
    }
    return await render_off_loop(request, "_friend_live.html" if live else "friend.html", context)


async def _timeline(
    services, records, before: datetime | None, words: NullTranslations
) -> dict[str, Any]:
    """The friend's timeline as `GET /friends/{user_id}/timeline` answers it, each entry with
    its words (in the page's language)."""
    if records is None:  # the friend went away between the two reads
        return {"entries": [], "now": [], "truncated": False}
    built = await told(services.temporal, records, limit=TIMELINE, before=before)
    if built["truncated"] and built["entries"]:
        older = built["entries"][0]["at"]
        built["older_url"] = f"?{urlencode({'before': older.isoformat()})}"
    built["paged"] = before is not None
    built["entries"] = [
        entry | {"text": describe(entry, clock=when, translations=words)}
        for entry in built["entries"]
    ]
    return built
