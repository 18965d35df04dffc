"""Several replicas at once (tests/faults/test_replicas.py): three `python worker.py` and two
API processes (uvicorn) on one PostgreSQL database and one Temporal dev server, LINE's emulator
in this process. Signed follow webhooks are spread over both APIs, some bodies posted to the
other API as well (same webhookEventIds); one worker is SIGKILLed with pushes held open inside
LINE, another SIGTERMed mid-run (it must stop cleanly, exit 0) and started again, and one API
is restarted while webhooks still arrive (meanwhile they all go to the other one, as a load
balancer would send them). The channel's per-friend cap (`max_per_day`) stops one path short;
a scenario's `delivery_cap` is raced for by the three workers. `run_replicas` returns what every
friend received and what the store says, with what was injected.

The machinery is the chaos run's (tests/faults/chaos.py): its friends, its SIGKILL mid-send,
its counting of LINE's deliveries; the stack is larger."""

import asyncio
import csv
import io
import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlmodel import func, select

from bench import processes
from bench.processes import Process, temporal_server, wait_for_port
from core.serve import free_port
from emulator.state import Fault
from emulator.webhooks import follow_event, sign
from store.db import Database
from store.tables import Delivery, Enrollment, Scenario
from tests.faults.chaos import LINE_TIMEOUT, Chaos, Friend, _redelivered
from tests.faults.chaos import Report as ChaosReport
from tests.faults.processes import environment, line_emulator
from tests.faults.replicas_plan import (
    APIS,
    BODY,
    COUPON,
    COUPONS,
    GRACE,
    PER_DAY,
    PUSH_RATE,
    SCENARIO,
    STEP_TEXTS,
    WORKER_GRACE,
    WORKERS,
    plan_friends,
)
from tests.support.stack import ADMIN_TOKEN, CHANNEL_SECRET


@dataclass
class Report(ChaosReport):
    processor: str = "api"
    enrollments: dict[str, Counter] = field(default_factory=dict)  # scenario → (status, hold)
    held_until: list[float] = field(default_factory=list)  # hours from now, the capped friends'
    rows: dict[str, int] = field(default_factory=dict)  # delivery rows by status
    row_pushes: Counter = field(default_factory=Counter)  # (user, text) of each row
    row_keys: set[str] = field(default_factory=set)  # retry keys of the rows
    sent_count: dict[str, int] = field(default_factory=dict)  # scenario name → its count
    coupon_enrolled: Counter = field(default_factory=Counter)  # user → coupon enrollments
    sigterm_exits: list[tuple[str, int | None, float]] = field(default_factory=list)
    webhooks_by_api: Counter = field(default_factory=Counter)
    api_exits: list[int | None] = field(default_factory=list)  # of the API SIGTERMed

    def pushes(self) -> Counter:
        """(user, text) of every message LINE accepted."""
        return Counter((u, text) for u, texts in self.received.items() for text in texts)


class Api:
    """One API replica: its process, port and admin client; `up` as a load balancer sees it."""

    def __init__(self, name: str, folder: Path, env: dict[str, str]):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        base = processes.api(folder, env, self.port)
        self.process = Process(name, base.command, base.env, folder / f"{name}.log")
        self.up = False

    async def wait_up(self) -> None:
        """Listening (uvicorn binds once the app has started). A cold start imports the whole
        API: ~5 s alone, 20-30 s on two busy cores next to the workers; so a long timeout."""
        address = f"127.0.0.1:{self.port}"
        await asyncio.to_thread(wait_for_port, address, self.process, 180.0)
        self.up = True


class Replicas(Chaos):
    """The stack of several replicas, and the faults, each counted as it is injected."""

    def __init__(self, folder: Path, friends: list[Friend], exits: AsyncExitStack, **kw):
        super().__init__(folder, friends, exits)
        self.database_url: str = kw["database_url"]
        self.processor: str = kw["processor"]
        self.down: set[str] = set()  # processes a fault stopped on purpose, for now
        self.turn = 0
        self.sigterm_exits: list[tuple[str, int | None, float]] = []
        self.by_api: Counter = Counter()
        self.api_exits: list[int | None] = []

    async def start(self) -> None:
        self.temporal, self.address = temporal_server(self.folder)
        self.temporal.start()
        self.exits.callback(self.temporal.stop)
        await asyncio.to_thread(wait_for_port, self.address, self.temporal)
        self.line, line_url = await line_emulator(self.exits, free_port())
        env = environment(
            database_url=self.database_url,
            temporal=self.address,
            line_url=line_url,
            task_queue="replicas",
            STEPLINE_LINE_TIMEOUT=str(LINE_TIMEOUT),
            STEPLINE_WEBHOOK_PROCESSOR=self.processor,
            STEPLINE_PUSH_RATE=str(PUSH_RATE),
            STEPLINE_WORKER_PUSH_RATE=str(round(PUSH_RATE / WORKERS, 3)),
            STEPLINE_MULTICAST="true",  # batches across three workers, as in the chaos run
            STEPLINE_WORKER_GRACE_SECONDS=str(WORKER_GRACE),
        )
        self.apis = [Api(f"api-{n + 1}", self.folder, env) for n in range(APIS)]
        self.workers = []
        for n in range(WORKERS):  # all at once, on a database with no schema yet
            base = processes.worker(self.folder, env)
            worker = Process(f"worker-{n + 1}", base.command, base.env,
                             self.folder / f"worker-{n + 1}.log")  # fmt: skip
            worker.start()
            self.exits.callback(worker.stop)
            self.workers.append(worker)
        for api in self.apis:
            api.process.start()
            self.exits.callback(api.process.stop)
        for api in self.apis:
            await api.wait_up()
        self.worker = self.workers[0]  # the chaos run's name for the one its faults aim at
        self.db = Database(self.database_url)  # to watch the store: reads only
        self.exits.push_async_callback(self.db.close)
        self.http = await self.exits.enter_async_context(
            httpx.AsyncClient(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60)
        )
        self.note(f"{WORKERS} workers, {APIS} APIs up ({self.processor} processes webhooks)")

    # --- the load balancer --------------------------------------------------------------

    def next_api(self, *, besides: Api | None = None) -> Api:
        """The next API that is up, in turn (another one than `besides` when there is one)."""
        up = [api for api in self.apis if api.up]
        assert up, "no API up"
        others = [api for api in up if api is not besides] or up
        self.turn += 1
        return others[self.turn % len(others)]

    async def post(self, api: Api, events: list[dict]) -> int | None:
        """One signed webhook body, as LINE posts it, to one API; its status (None: no answer)."""
        payload = {"destination": self.line.bot_user_id, "events": events}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Line-Signature": sign(CHANNEL_SECRET, body),
        }
        started = time.monotonic()
        try:
            answer = await self.http.post(f"{api.url}/webhooks/line", content=body, headers=headers)
        except httpx.HTTPError:
            return None
        finally:
            self.acks.append(time.monotonic() - started)
        self.by_api[api.name] += 1
        if api.process.starts > 1:
            self.faults["webhook bodies after the API restart"] += 1
        return answer.status_code

    async def webhook(self, events: list[dict], *, duplicate: bool = False) -> None:
        """A body to the next API; unanswered, redelivered (to whichever API is up) as LINE
        does; with `duplicate`, the very same body to the other API as well."""
        api = self.next_api()
        for _attempt in range(30):
            status = await self.post(api, events)
            if status == 200:
                break
            assert status is None or status >= 500, status
            self.faults["webhook bodies redelivered after no answer"] += 1
            events = _redelivered(events)
            await asyncio.sleep(0.2)
            api = self.next_api()
        assert status == 200, status
        self.faults["webhook bodies"] += 1
        self.faults["webhook events"] += len(events)
        if duplicate:
            other = self.next_api(besides=api)
            assert await self.post(other, events) == 200
            self.faults["webhook bodies duplicated to the other API"] += 1

    # --- the scenarios and the friends --------------------------------------------------

    async def scenario(self) -> str:
        api = self.apis[0].url
        policy = await self.http.put(f"{api}/channel/policy", json={"max_per_day": PER_DAY})
        assert policy.status_code == 200, policy.text
        self.ids: dict[str, str] = {}
        for definition in (SCENARIO, COUPON):
            created = await self.http.post(f"{api}/scenarios", json=definition)
            assert created.status_code == 201, created.text
            self.ids[definition["name"]] = created.json()["id"]
            activated = await self.http.post(f"{api}/scenarios/{created.json()['id']}/activate")
            assert activated.status_code == 200, activated.text
        rows = io.StringIO()
        writer = csv.writer(rows)
        writer.writerow(["user_id", "plan"])
        for friend in self.friends:
            writer.writerow([friend.user_id, friend.group])
        imported = await self.http.post(
            f"{self.apis[1].url}/friends/import",
            content=rows.getvalue(),
            headers={"Content-Type": "text/csv"},
        )
        assert imported.status_code == 200, imported.text
        return self.ids["replicas"]

    async def follow_everyone(self, restart_after: int, after_restart: int) -> None:
        """The follows, a few per body, one body every 0.4 s over both APIs; every third body
        also to the other API. After `restart_after` bodies, one API is restarted while the
        rest keep coming (to the other one while it is down); the last `after_restart` bodies
        wait until it is back, so that it takes some again."""
        bodies = []
        for start in range(0, len(self.friends), BODY):
            bodies.append([])
            for friend in self.friends[start : start + BODY]:
                self.line.follow(friend.user_id)
                bodies[-1].append(follow_event(friend.user_id, int(time.time() * 1000),
                                               is_unblocked=False))  # fmt: skip
        restart = None
        for n, events in enumerate(bodies):
            if n == restart_after:
                restart = asyncio.create_task(self.restart_api(self.apis[1]))
            if n == len(bodies) - after_restart:
                assert restart is not None
                await restart
            await self.webhook(events, duplicate=n % 3 == 1)
            await asyncio.sleep(0.4)
        self.note(f"{len(self.friends)} friends' follows acknowledged, {len(bodies)} bodies")

    async def coupons(self) -> None:
        """Once every lite friend's welcome has arrived, they all ask for a coupon at once
        (`POST /events`, over both APIs): more than the coupon scenario's delivery cap, so
        the three workers race for its last places."""
        lite = [f.user_id for f in self.friends if f.group == "lite"]
        await self.until(lambda: {d.to for d in self.line.deliveries} >= set(lite), "welcomes")

        async def ask(user_id: str) -> None:
            api = self.next_api()
            answer = await self.http.post(
                f"{api.url}/events", json={"user_id": user_id, "name": "coupon"}
            )
            assert answer.status_code == 201, answer.text
            self.faults["coupon events"] += 1

        await asyncio.gather(*(ask(user_id) for user_id in lite))
        self.note(f"{len(lite)} coupons asked for at once ({COUPONS} to give)")

    # --- faults -------------------------------------------------------------------------

    async def kill_worker(self, worker: Process, texts: set[str], fraction: float) -> None:
        """The chaos run's SIGKILL mid-send (pushes held open inside LINE), on one worker."""
        self.worker = worker
        self.down.add(worker.name)
        try:
            await self.kill_worker_mid_send(texts, fraction)
        finally:
            self.down.discard(worker.name)
        self.note(f"{worker.name} started again")

    async def sigterm_worker(self, worker: Process, texts: set[str], fraction: float) -> None:
        """SIGTERM a worker while pushes are under way (a few held open inside LINE, so
        that its graceful shutdown has pushes to finish): it must exit 0 within GRACE; then
        it is started again, as a deploy would."""
        target = fraction * self.expected(texts)
        await self.until(lambda: self.count(texts) >= target, f"{fraction:.0%} of {texts}")
        held = self.hold_pushes(4, 1.0)
        await asyncio.sleep(0.3)
        self.down.add(worker.name)
        assert worker.child is not None
        stopping = time.monotonic()
        worker.child.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(worker.child.wait, GRACE)
        except subprocess.TimeoutExpired:
            code = None  # still running after its grace: the test fails on it
        seconds = round(time.monotonic() - stopping, 1)
        self.sigterm_exits.append((worker.name, code, seconds))
        self.note(f"{worker.name} SIGTERMed at {self.count(texts)} pushes of {sorted(texts)}: "
                  f"exit {code} after {seconds} s")  # fmt: skip
        self.faults["worker SIGTERMs mid-run"] += 1
        if code is None:
            worker.kill()
        self.faults["pushes in flight at a SIGTERM"] += 4 - held.times
        if held in self.line.faults:
            self.line.faults.remove(held)
        await asyncio.to_thread(worker.start)
        self.down.discard(worker.name)
        self.note(f"{worker.name} started again")

    def hold_pushes(self, times: int, seconds: float) -> Fault:
        """The next `times` pushes kept open inside LINE for `seconds` (then accepted)."""
        held = Fault(times=times, delay_seconds=seconds)
        self.line.faults.insert(0, held)
        return held

    async def restart_api(self, api: Api) -> None:
        """Out of the load balancer, SIGTERM, started again, back in once it listens."""
        api.up = False
        self.down.add(api.name)
        await asyncio.to_thread(api.process.stop)
        code = api.process.child.returncode if api.process.child else None
        self.note(f"{api.name} SIGTERMed (exit {code}); webhooks go to the other API")
        self.faults["API restarts while webhooks arrive"] += 1
        self.api_exits.append(code)
        await asyncio.to_thread(api.process.start)
        self.down.discard(api.name)
        await api.wait_up()
        self.note(f"{api.name} up again")

    # --- observing ----------------------------------------------------------------------

    def check_alive(self) -> None:
        for process in [*self.workers, *(api.process for api in self.apis)]:
            if process.name not in self.down:
                process.check_alive()

    async def until(self, check: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            self.check_alive()
            assert time.monotonic() < deadline, f"not reached: {what}"
            await asyncio.sleep(0.1)

    async def settled(self, timeout: float = 120.0) -> None:
        """Every enrollment ended, or held by the channel's cap (until tomorrow); nothing
        arriving at LINE for 2 s."""
        deadline = time.monotonic() + timeout
        last, quiet_since = -1, time.monotonic()
        while True:
            self.check_alive()
            statuses = await self.enrollments()
            running = sum(
                n
                for (_scenario, status, hold), n in statuses.items()
                if status in ("waiting", "sending", "held") and hold != "frequency"
            )
            assert time.monotonic() < deadline, f"not settled: {statuses}"
            if len(self.line.deliveries) != last:
                last, quiet_since = len(self.line.deliveries), time.monotonic()
            main = sum(n for (name, *_), n in statuses.items() if name == "replicas")
            if main == len(self.friends) and not running and time.monotonic() - quiet_since > 2:
                return
            await asyncio.sleep(0.25)

    async def enrollments(self) -> Counter:
        """(scenario name, status, hold reason) → enrollments."""
        names = {v: k for k, v in self.ids.items()}
        async with self.db.reading() as session:
            rows = await session.exec(
                select(
                    Enrollment.scenario_id, Enrollment.status, Enrollment.hold_reason, func.count()
                ).group_by(Enrollment.scenario_id, Enrollment.status, Enrollment.hold_reason)
            )
            return Counter({(names[s], status, hold): n for s, status, hold, n in rows.all()})

    async def store(self, report: Report) -> None:
        """What the store says, once settled."""
        names = {v: k for k, v in self.ids.items()}
        statuses = await self.enrollments()
        for (name, status, hold), n in statuses.items():
            report.enrollments.setdefault(name, Counter())[
                f"{status}/{hold}" if hold else status
            ] += n
        async with self.db.reading() as session:
            rows = list(await session.exec(select(Delivery)))
            scenarios = list(await session.exec(select(Scenario)))
            held = await session.exec(
                select(Enrollment.next_wake_at).where(Enrollment.hold_reason == "frequency")
            )
            enrolled = await session.exec(
                select(Enrollment.user_id).where(Enrollment.scenario_id == self.ids["coupon"])
            )
            report.held_until = [
                round((wake.timestamp() - time.time()) / 3600, 1) for wake in held if wake
            ]
            report.coupon_enrolled = Counter(enrolled)
        report.rows = dict(Counter(row.status for row in rows))
        report.row_pushes = Counter((row.user_id, STEP_TEXTS[row.step_id]) for row in rows)
        # the key of the request each went in: its batch's, or its own
        report.row_keys = {row.batch or row.retry_key for row in rows}
        report.sent_count = {names[s.id]: s.sent_count for s in scenarios}


async def run_replicas(folder: Path, friends: int, database_url: str, processor: str) -> Report:
    started = time.monotonic()
    plan = plan_friends(friends)
    async with AsyncExitStack() as exits:
        run = Replicas(folder, plan, exits, database_url=database_url, processor=processor)
        await run.start()
        await run.scenario()
        following = asyncio.create_task(run.follow_everyone(restart_after=6, after_restart=4))
        asking = asyncio.create_task(run.coupons())
        await run.kill_worker(run.workers[0], {"welcome"}, 0.3)
        await run.sigterm_worker(run.workers[1], {"gold offer", "basic offer"}, 0.3)
        await following
        await asking
        await run.settled()
        run.note("settled")
        await asyncio.sleep(1.0)  # anything pushed twice would have arrived by now
        chaos = run.report(started)
        report = Report(**{k: getattr(chaos, k) for k in chaos.__dataclass_fields__})
        report.processor = processor
        report.timeline, report.acks = run.timeline, run.acks
        report.accepted_keys = set(run.line.retry_keys)
        report.sigterm_exits = run.sigterm_exits
        report.webhooks_by_api = run.by_api
        report.faults["retries answered 409 (already accepted)"] = (
            run.line.conflicts["push"] + run.line.conflicts["multicast"]
        )
        report.api_exits = run.api_exits
        await run.store(report)
        for worker in run.workers:
            worker.check_alive()
        return report


def processor() -> str:
    return os.environ.get("STEPLINE_REPLICAS_PROCESSOR", "api")
