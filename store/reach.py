"""Who a scenario's trigger would take right now, for the studio's reach (app/reach.py):
counted in SQL where SQL can say it, and a bounded sample of them whose facts are read in a few
queries for many friends at once (FriendFacts, as a branch reads them).

The work is bounded whatever the channel's size: at most SAMPLE friends are sampled and at
most SCAN rows read to find them where a rule is checked in Python (event properties, keywords,
a date attribute). LINE user IDs are random, so the first friends by user ID are a fair sample.
A count that is not exact says so (`Population.exact`)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store import audiences
from store.conditions import FriendFacts
from store.tables import Audience, Event, Friend, FriendTag

SAMPLE = 1000  # friends whose facts are read
SCAN = 20_000  # rows read at most to find them by a rule checked in Python
_CHUNK = 500  # rows (friends, events) in one query: other requests go on between them


@dataclass
class Population:
    """The friends a trigger takes: how many, whether that number is exact, and a sample of
    them (all of them when there are no more than SAMPLE and `exact`)."""

    total: int
    exact: bool
    user_ids: list[str]


async def followers(
    session: AsyncSession,
    *,
    routes: list[str] | None,
    added_from: datetime | None,
    added_until: datetime | None,
) -> Population:
    """Friends following now, added through one of `routes` (any, if None) within
    [added_from, added_until): an exact count."""
    where: list[Any] = [col(Friend.following).is_(True)]
    if routes is not None:
        where.append(col(Friend.route).in_(routes))
    if added_from is not None:
        where.append(col(Friend.followed_at) >= added_from)
    if added_until is not None:
        where.append(col(Friend.followed_at) < added_until)
    total = (await session.exec(select(func.count()).select_from(Friend).where(*where))).one()
    sample = await session.exec(
        select(Friend.user_id).where(*where).order_by(col(Friend.user_id)).limit(SAMPLE)
    )
    return Population(total, True, list(sample))


async def following_where(
    session: AsyncSession, keep: Callable[[dict[str, Any]], bool]
) -> Population:
    """Friends following now whose attributes `keep` accepts (checked in Python): exact when
    SCAN rows cover them all, else estimated from the share among those read. Read in chunks,
    so other requests go on between them."""
    following = col(Friend.following).is_(True)
    everyone = (await session.exec(select(func.count()).select_from(Friend).where(following))).one()
    read = kept = 0
    sample: list[str] = []
    last = ""
    while read < SCAN:
        chunk = list(
            await session.exec(
                select(Friend.user_id, Friend.attributes)
                .where(following, col(Friend.user_id) > last)
                .order_by(col(Friend.user_id))
                .limit(min(_CHUNK, SCAN - read))
            )
        )
        if not chunk:
            break
        read, last = read + len(chunk), chunk[-1][0]
        for user_id, attributes in chunk:
            if keep(attributes or {}):
                kept += 1
                if len(sample) < SAMPLE:
                    sample.append(user_id)
    if read >= everyone:
        return Population(kept, True, sample)
    return Population(round(everyone * kept / read) if read else 0, False, sample)


async def audience_members(session: AsyncSession, audience: Audience, at: datetime) -> Population:
    """The audience's size at `at` (exact, store.audiences.size) and a sample of its members
    among the friends stepline knows, found SCAN friends at most."""
    total = await audiences.size(session, audience=audience, at=at)
    sample: list[str] = []
    last = ""
    for _ in range(0, SCAN, _CHUNK):
        chunk = list(
            await session.exec(
                select(Friend.user_id)
                .where(col(Friend.user_id) > last)
                .order_by(col(Friend.user_id))
                .limit(_CHUNK)
            )
        )
        if not chunk:
            break
        members = await audiences.member_ids(session, audience=audience, at=at, among=chunk)
        sample += [user_id for user_id in chunk if user_id in members]
        last = chunk[-1]
        if len(sample) >= SAMPLE:
            break
    return Population(total, True, sample[:SAMPLE])


async def event_takers(
    session: AsyncSession,
    *,
    name: str,
    since: datetime,
    match: Callable[[dict], bool] | None,
) -> Population:
    """Friends following now who recorded an event `name` since `since` (`match`: one whose
    properties it accepts). Without `match` an exact count; with it the newest SCAN events are
    read, and the count is a floor when there were more."""
    where = [
        Event.name == name,
        col(Event.occurred_at) >= since,
        col(Friend.following).is_(True),
    ]
    joined = select(Event.user_id).join(Friend, col(Friend.user_id) == Event.user_id)
    if match is None:
        counted = select(func.count(distinct(Event.user_id))).join(
            Friend, col(Friend.user_id) == Event.user_id
        )
        total = (await session.exec(counted.where(*where))).one()
        sample = await session.exec(
            joined.where(*where).distinct().order_by(col(Event.user_id)).limit(SAMPLE)
        )
        return Population(total, True, list(sample))
    found: set[str] = set()
    read, last = 0, None
    while read < SCAN:
        newer = [] if last is None else [col(Event.seq) < last]
        chunk = list(
            await session.exec(
                select(Event.seq, Event.user_id, Event.properties)
                .join(Friend, col(Friend.user_id) == Event.user_id)
                .where(*where, *newer)
                .order_by(col(Event.seq).desc())
                .limit(min(_CHUNK, SCAN - read))
            )
        )
        if not chunk:
            break
        read, last = read + len(chunk), chunk[-1][0]
        found |= {user_id for _, user_id, properties in chunk if match(properties or {})}
    return Population(len(found), read < SCAN, sorted(found)[:SAMPLE])


async def facts_for(
    session: AsyncSession, user_ids: list[str], *, at: datetime, audience_ids: list[str]
) -> list[FriendFacts]:
    """Each friend's FriendFacts at `at` with their row, tags and membership of `audience_ids`
    read already, a few queries for all of them; events are read as a branch reads them."""
    rows: dict[str, Friend] = {}
    tags: dict[str, set[str]] = {user_id: set() for user_id in user_ids}
    for start in range(0, len(user_ids), _CHUNK):
        chunk = user_ids[start : start + _CHUNK]
        for friend in await session.exec(select(Friend).where(col(Friend.user_id).in_(chunk))):
            rows[friend.user_id] = friend
        found = await session.exec(
            select(FriendTag.user_id, FriendTag.tag).where(col(FriendTag.user_id).in_(chunk))
        )
        for user_id, tag in found:
            tags[user_id].add(tag)
    members: dict[str, set[str]] = {}
    for audience_id in dict.fromkeys(audience_ids):
        audience = await session.get(Audience, audience_id)
        members[audience_id] = (
            await audiences.member_ids(session, audience=audience, at=at, among=user_ids)
            if audience is not None
            else set()
        )
    facts = []
    for user_id in user_ids:
        known = FriendFacts(session, user_id, at=at).know(rows.get(user_id))
        known.know_tags(tags[user_id])
        for audience_id, inside in members.items():
            known.know_audience(audience_id, user_id in inside)
        facts.append(known)
    return facts
