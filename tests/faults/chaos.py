"""One run of a several-step scenario for a few hundred friends on the real Temporal dev server,
while everything that can go wrong does: the worker is SIGKILLed mid-send, the dev server is
stopped and started again on its SQLite file during waits, LINE answers 500, 429, too slowly
or accepts and drops the connection, and webhooks come duplicated, redelivered, out of order
and in large batches. `run_chaos` returns what every friend received and what was injected."""

import asyncio
import copy
import csv
import io
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlmodel import func, select

from bench import processes
from bench.processes import temporal_server, wait_for_port
from core.serve import free_port
from emulator.state import Fault
from emulator.webhooks import follow_event, post_events, unfollow_event
from store.db import Database
from store.tables import Delivery, Enrollment
from tests.faults.processes import environment, line_emulator
from tests.support.stack import ADMIN_TOKEN, user

WAIT = "PT5S"
SCENARIO = {
    "name": "chaos",
    "trigger": {"type": "follow"},
    # every message a push: the SIGKILLs mid-send are about pushes and their retry keys. A free
    # reply whose answer a SIGKILL lost is by design never sent again (tests/store/test_replies.py)
    "reply_first": False,
    "steps": [
        {"id": "welcome", "type": "message", "messages": [{"type": "text", "text": "welcome"}]},
        {"id": "w1", "type": "wait", "duration": WAIT},
        {
            "id": "plan",
            "type": "branch",
            "branches": [
                {
                    "label": "gold",
                    "when": {"attribute": "plan", "equals": "gold"},
                    "steps": [{"id": "gold", "type": "message", "messages": [{"type": "text", "text": "gold offer"}]}],  # noqa: E501
                }
            ],
            "otherwise": [{"id": "basic", "type": "message", "messages": [{"type": "text", "text": "basic offer"}]}],  # noqa: E501
        },
        {"id": "w2", "type": "wait", "duration": WAIT},
        {
            "id": "tips",
            "type": "message",
            "messages": [{"type": "text", "text": "tip 1"}, {"type": "text", "text": "tip 2"}],
        },
        {"id": "w3", "type": "wait", "duration": WAIT},
        {"id": "bye", "type": "message", "messages": [{"type": "text", "text": "bye"}]},
    ],
}  # fmt: skip
GOLD = ["welcome", "gold offer", "tip 1", "tip 2", "bye"]
BASIC = ["welcome", "basic offer", "tip 1", "tip 2", "bye"]
LINE_TIMEOUT = 2.0  # the worker's; a "slow" LINE answer takes longer than this
BATCH = 100  # events per webhook body, as LINE batches them


@dataclass
class Friend:
    user_id: str
    group: str  # gold | basic | blocker | stale-unfollow | never
    expected: list[str]


@dataclass
class Report:
    friends: list[Friend]
    received: dict[str, list[str]]  # user → texts of every push LINE accepted, in order
    pushes_after_block: list[str]  # users pushed to after their unfollow was acknowledged
    faults: Counter = field(default_factory=Counter)
    store: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    timeline: list[tuple[float, str]] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)  # seconds to each webhook's answer
    unconfirmed_keys: list[str] = field(default_factory=list)  # retry keys of such rows
    accepted_keys: set[str] = field(default_factory=set)  # every retry key LINE accepted

    def figures(self) -> dict:
        expected = sum(len(f.expected) for f in self.friends)
        duplicates = lost = disordered = 0
        for friend in self.friends:
            got = self.received.get(friend.user_id, [])
            counts = Counter(got)
            duplicates += sum(n - 1 for n in counts.values() if n > 1)
            lost += sum(1 for text in friend.expected if text not in counts)
            disordered += int(list(dict.fromkeys(got)) != [t for t in friend.expected if t in got])
        return {
            "friends": len(self.friends),
            "paths": dict(Counter(f.group for f in self.friends)),
            "messages_expected": expected,
            "messages_received": sum(len(v) for v in self.received.values()),
            "duplicates": duplicates,
            "lost": lost,
            "out_of_order": disordered,
            "after_block": len(self.pushes_after_block),
            "faults": dict(self.faults),
            "store": self.store,
            "webhook_answer_seconds": {
                "median": round(statistics.median(self.acks), 3) if self.acks else None,
                "max": round(max(self.acks), 3) if self.acks else None,
            },
            "seconds": round(self.seconds, 1),
            "timeline": self.timeline,
        }


def _redelivered(events: list[dict]) -> list[dict]:
    again = copy.deepcopy(events)
    for event in again:
        event["deliveryContext"]["isRedelivery"] = True
    return again


def plan_friends(count: int) -> list[Friend]:
    friends = []
    for n in range(count):
        uid = user(0xC0A5_0000 + n)
        kind = n % 10
        if kind == 0:
            friends.append(Friend(uid, "blocker", ["welcome"]))
        elif kind == 1:
            friends.append(Friend(uid, "stale-unfollow", GOLD if n % 3 == 0 else BASIC))
        elif kind == 2:
            friends.append(Friend(uid, "never", []))
        else:
            friends.append(Friend(uid, "gold", GOLD) if n % 3 == 0 else Friend(uid, "basic", BASIC))
    return friends


class Chaos:
    """The stack (dev server and worker as processes; API and emulator in this process) and
    the faults, each counted as it is injected."""

    def __init__(self, folder: Path, friends: list[Friend], exits: AsyncExitStack):
        self.folder, self.friends, self.exits = folder, friends, exits
        self.faults: Counter = Counter()
        self.blocked_at: dict[str, float] = {}  # user → when the API acknowledged the unfollow
        self.queued: list[tuple[str, Fault, int]] = []  # kind, fault, times asked for
        self.rng = random.Random(20261130)
        self.started = time.monotonic()
        self.acks: list[float] = []  # seconds the API took to answer each webhook
        self.timeline: list[tuple[float, str]] = []

    def note(self, what: str) -> None:
        self.timeline.append((round(time.monotonic() - self.started, 1), what))
        with (self.folder / "chaos.log").open("a") as log:
            log.write(f"{self.timeline[-1][0]:7.1f}s {what}\n")

    async def start(self) -> None:
        self.temporal, address = temporal_server(self.folder)
        self.address = address
        self.temporal.start()
        self.exits.callback(self.temporal.stop)
        wait_for_port(address, self.temporal)
        api_port = free_port()
        self.line, line_url = await line_emulator(self.exits, api_port)
        database_url = f"sqlite:///{self.folder}/stepline.db"
        env = environment(
            database_url=database_url,
            temporal=address,
            line_url=line_url,
            task_queue="chaos",
            STEPLINE_LINE_TIMEOUT=str(LINE_TIMEOUT),
            # friends due the same message together share multicasts: SIGKILLs and LINE's
            # faults hit batches too, and still nobody gets anything twice
            STEPLINE_MULTICAST="true",
        )
        self.api_process = processes.api(self.folder, env, api_port)
        self.api_process.start()
        self.exits.callback(self.api_process.stop)
        self.worker = processes.worker(self.folder, env)
        self.worker.start()
        self.exits.callback(self.worker.stop)
        await asyncio.to_thread(wait_for_port, f"127.0.0.1:{api_port}", self.api_process)
        self.db = Database(database_url)  # to watch the store: reads only
        self.exits.push_async_callback(self.db.close)
        self.api = await self.exits.enter_async_context(
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{api_port}",
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                timeout=60,
            )
        )

    # --- the scenario and the friends ---------------------------------------------------

    async def scenario(self) -> str:
        created = await self.api.post("/scenarios", json=SCENARIO)
        assert created.status_code == 201, created.text
        scenario_id = created.json()["id"]
        assert (await self.api.post(f"/scenarios/{scenario_id}/activate")).status_code == 200
        rows = io.StringIO()
        writer = csv.writer(rows)
        writer.writerow(["user_id", "plan"])
        for friend in self.friends:
            writer.writerow([friend.user_id, "gold" if friend.expected == GOLD else "basic"])
        imported = await self.api.post(
            "/friends/import", content=rows.getvalue(), headers={"Content-Type": "text/csv"}
        )
        assert imported.status_code == 200, imported.text
        return scenario_id

    async def webhook(self, events: list[dict], *, duplicate: bool = False) -> None:
        """One signed webhook body, as LINE posts it, and redelivered (`isRedelivery`, same
        webhookEventIds) for as long as it gets no answer, as LINE does; with `duplicate`,
        the very same body once more, and a redelivery of it on top."""
        for _attempt in range(30):
            started = time.monotonic()
            result = await post_events(self.line, events)
            self.acks.append(time.monotonic() - started)
            if result.status == 200:  # the events are stored: LINE is done
                break
            assert result.status is None, result  # no answer: LINE tries again later
            self.faults["webhook bodies redelivered after no answer"] += 1
            events = _redelivered(events)
        assert result.status == 200, result
        self.faults["webhook bodies"] += 1
        self.faults["webhook events"] += len(events)
        self.faults["largest webhook body (events)"] = max(
            self.faults["largest webhook body (events)"], len(events)
        )
        if duplicate:
            assert (await post_events(self.line, events)).status == 200
            assert (await post_events(self.line, _redelivered(events))).status == 200
            self.faults["webhook bodies duplicated"] += 1
            self.faults["webhook bodies redelivered"] += 1

    async def follow_everyone(self) -> None:
        now = int(time.time() * 1000)
        follows: list[dict] = []
        stale: list[dict] = []
        never: list[dict] = []
        for friend in self.friends:
            if friend.group == "never":  # followed, then blocked: the unfollow comes first
                self.line.unfollow(friend.user_id)
                never.append(follow_event(friend.user_id, now - 60_000, is_unblocked=False))
                never.insert(0, unfollow_event(friend.user_id, now - 30_000))
                continue
            self.line.follow(friend.user_id)
            follows.append(follow_event(friend.user_id, now, is_unblocked=False))
            if friend.group == "stale-unfollow":  # blocked once, re-added: that block comes last
                stale.append(unfollow_event(friend.user_id, now - 60_000))
        for start in range(0, len(follows), BATCH):
            await self.webhook(follows[start : start + BATCH], duplicate=start // BATCH % 2 == 0)
        await self.webhook(stale)
        await self.webhook(never)
        self.note(f"{len(self.friends)} friends' webhooks acknowledged")
        self.faults["webhooks out of order"] += len(stale) + len(never) // 2

    async def block_after_welcome(self) -> None:
        """Each blocker blocks the account as soon as its welcome arrives, mid-wait."""
        waiting = {f.user_id for f in self.friends if f.group == "blocker"}
        while waiting:
            arrived = {d.to for d in self.line.deliveries if d.to in waiting}
            for user_id in arrived:
                self.line.unfollow(user_id)
                await self.webhook([unfollow_event(user_id, int(time.time() * 1000))])
                self.blocked_at[user_id] = time.time()
                self.faults["blocks mid-wait"] += 1
            waiting -= arrived
            await asyncio.sleep(0.1)

    # --- faults -------------------------------------------------------------------------

    def line_fault(self, kind: str, *, users: int, times: int = 1, **fault) -> None:
        """Queue a LINE fault for the next pushes to `users` random friends on the path."""
        candidates = [f.user_id for f in self.friends if f.group in ("gold", "basic")]
        for user_id in self.rng.sample(candidates, users):
            entry = Fault(times=times, user_id=user_id, **fault)
            self.line.faults.append(entry)
            self.queued.append((kind, entry, times))

    def line_faults(self) -> None:
        self.line_fault("LINE 500", users=12, times=2, status=500)
        self.line_fault("LINE 429 rate limit", users=12, times=2, status=429)
        self.line_fault("LINE slower than the client timeout", users=6, delay_seconds=3.0)
        self.line_fault("LINE accepted, connection dropped", users=10, accept_then_drop=True)

    async def kill_worker_mid_send(self, texts: set[str], fraction: float) -> None:
        """SIGKILL the worker while pushes are under way: once `fraction` of the pushes of
        `texts` have arrived, with a few more held open inside LINE (accepted after the
        worker is gone, so their retries must get 409 and count them as sent)."""
        target = fraction * sum(1 for f in self.friends for t in f.expected if t in texts)
        await self.until(lambda: self.count(texts) >= target, f"{fraction:.0%} of {texts}")
        held = Fault(times=8, delay_seconds=1.0)  # within the client timeout: just slow
        self.line.faults.insert(0, held)
        await asyncio.sleep(0.3)
        deadline = time.monotonic() + 5.0  # a busy machine: the next pushes may come later
        while held.times == 8 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.to_thread(self.worker.kill)
        self.note(f"worker SIGKILLed at {self.count(texts)} pushes of {sorted(texts)}")
        self.faults["worker SIGKILLs mid-send"] += 1
        self.faults["pushes in flight at a SIGKILL"] += 8 - held.times
        if held in self.line.faults:
            self.line.faults.remove(held)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(self.worker.start)

    async def restart_temporal(self, texts: set[str]) -> None:
        """Stop the dev server during a wait (once every push of `texts` has arrived) and
        start it again on the same SQLite file."""
        await self.until(lambda: self.count(texts) >= self.expected(texts), f"all of {texts}")
        self.note(f"every push of {sorted(texts)} arrived; Temporal stopped")
        stopping = time.monotonic()
        await asyncio.to_thread(self.temporal.stop)
        self.faults["Temporal dev server restarts"] += 1
        self.faults["Temporal dev server seconds down"] += round(time.monotonic() - stopping + 3)
        await asyncio.sleep(3.0)
        await asyncio.to_thread(self.temporal.start)
        await asyncio.to_thread(wait_for_port, self.address, self.temporal)
        self.note("Temporal started again")

    # --- observing ----------------------------------------------------------------------

    def count(self, texts: set[str]) -> int:
        return sum(1 for d in self.line.deliveries for m in d.messages if m.get("text") in texts)

    def expected(self, texts: set[str]) -> int:
        return sum(1 for f in self.friends for t in f.expected if t in texts)

    async def until(self, check: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            self.worker.check_alive()
            assert time.monotonic() < deadline, f"not reached: {what}"
            await asyncio.sleep(0.1)

    async def settled(self, timeout: float = 150.0) -> None:
        """No enrollment running any more (store), and nothing arriving at LINE for 2 s."""
        deadline = time.monotonic() + timeout
        last, quiet_since = -1, time.monotonic()
        while True:
            assert time.monotonic() < deadline, f"not settled: {await self.statuses()}"
            statuses = await self.statuses()
            running = sum(n for s, n in statuses.items() if s in ("waiting", "sending", "held"))
            if len(self.line.deliveries) != last:
                last, quiet_since = len(self.line.deliveries), time.monotonic()
            if statuses and not running and time.monotonic() - quiet_since > 2.0:
                return
            await asyncio.sleep(0.25)

    async def statuses(self) -> dict[str, int]:
        async with self.db.reading() as session:
            rows = await session.exec(
                select(Enrollment.status, func.count()).group_by(Enrollment.status)
            )
            return dict(rows.all())

    async def deliveries(self) -> dict[str, int]:
        async with self.db.reading() as session:
            rows = await session.exec(
                select(Delivery.status, func.count()).group_by(Delivery.status)
            )
            return dict(rows.all())

    def report(self, started: float) -> Report:
        received: dict[str, list[str]] = {}
        after_block: list[str] = []
        for push in self.line.deliveries:
            received.setdefault(push.to, []).extend(m.get("text", "?") for m in push.messages)
            blocked = self.blocked_at.get(push.to)
            if blocked is not None and push.received_at.timestamp() > blocked:
                after_block.append(push.to)
        for kind, fault, times in self.queued:  # what LINE actually answered that way
            self.faults[kind] += times - (fault.times if fault in self.line.faults else 0)
        return Report(
            friends=self.friends,
            received=received,
            pushes_after_block=after_block,
            faults=self.faults,
            seconds=time.monotonic() - started,
        )


async def run_chaos(folder: Path, friends: int) -> Report:
    started = time.monotonic()
    plan = plan_friends(friends)
    async with AsyncExitStack() as exits:
        chaos = Chaos(folder, plan, exits)
        await chaos.start()
        await chaos.scenario()
        chaos.line_faults()
        blocking = asyncio.create_task(chaos.block_after_welcome())
        await chaos.follow_everyone()
        await chaos.kill_worker_mid_send({"welcome"}, 0.3)
        await chaos.restart_temporal({"welcome"})
        await blocking
        await chaos.kill_worker_mid_send({"gold offer", "basic offer"}, 0.3)
        await chaos.restart_temporal({"gold offer", "basic offer"})
        await chaos.kill_worker_mid_send({"tip 1"}, 0.3)
        await chaos.settled()
        chaos.note("settled")
        report = chaos.report(started)
        report.store = {
            "enrollments": await chaos.statuses(),
            "deliveries": await chaos.deliveries(),
        }
        report.timeline, report.acks = chaos.timeline, chaos.acks
        report.accepted_keys = set(chaos.line.retry_keys)
        async with chaos.db.reading() as session:
            # the key of the request each went in: its batch's, or its own
            sent_with = func.coalesce(Delivery.batch, Delivery.retry_key)
            unconfirmed = select(sent_with).where(Delivery.status == "unconfirmed")
            report.unconfirmed_keys = list(await session.exec(unconfirmed))
        report.faults["retries answered 409 (already accepted)"] = (
            chaos.line.conflicts["push"] + chaos.line.conflicts["multicast"]
        )
        report.faults["faults taken by a retry answered 409"] = chaos.line.faults_on_conflicts
        return report
