"""Several replicas at once, on PostgreSQL (docs/RELIABILITY.md): three workers and two APIs,
one worker SIGKILLed mid-send, one SIGTERMed mid-run, one API restarted while webhooks arrive
(tests/faults/replicas.py); then what must hold, each its own test. Skipped unless
STEPLINE_TEST_DATABASE_URL names a server (CI sets it)."""

import json
import os
import signal
from collections import Counter
from pathlib import Path

import pytest

from tests.faults.replicas import Report, processor, run_replicas
from tests.faults.replicas_plan import COUPONS, GOLD, GRACE, LITE, PER_DAY
from tests.support.database import POSTGRES_URL, postgres_database

FRIENDS = int(os.environ.get("STEPLINE_REPLICAS_FRIENDS", "90"))
REPORT = os.environ.get("STEPLINE_REPLICAS_REPORT")  # where to write the figures (JSON)


@pytest.fixture(scope="module")
async def run(tmp_path_factory) -> Report:
    if not POSTGRES_URL:
        pytest.skip("STEPLINE_TEST_DATABASE_URL is not set")
    folder = tmp_path_factory.mktemp("replicas")
    with postgres_database() as url:
        report = await run_replicas(folder, FRIENDS, url, processor())
    if REPORT:
        Path(REPORT).write_text(json.dumps(figures(report), indent=2) + "\n")
    return report


def figures(run: Report) -> dict:
    return {
        "processor": run.processor,
        "friends": len(run.friends),
        "paths": dict(Counter(f.group for f in run.friends)),
        "messages_received": sum(run.pushes().values()),
        "duplicates": sum(n - 1 for n in run.pushes().values()),
        "delivery_rows": run.rows,
        "enrollments": {name: dict(c) for name, c in run.enrollments.items()},
        "coupon_capped": run.enrollments["coupon"]["capped"],
        "sent_count": run.sent_count,
        "sigterm_exits": run.sigterm_exits,
        "api_exits": run.api_exits,
        "webhooks_by_api": dict(run.webhooks_by_api),
        "faults": dict(run.faults),
        "seconds": round(run.seconds, 1),
        "timeline": run.timeline,
    }


def _main(texts: list[str]) -> list[str]:
    return [text for text in texts if text != "coupon"]


async def test_every_friend_got_their_path_exactly_once_in_order(run: Report):
    wrong = {
        f.user_id: (f.group, run.received.get(f.user_id, []), f.expected)
        for f in run.friends
        if _main(run.received.get(f.user_id, [])) != f.expected
    }
    assert not wrong, f"{len(wrong)} friends got something else, e.g. {list(wrong.items())[:3]}"
    twice = {push: n for push, n in run.pushes().items() if n > 1}
    assert not twice, f"pushed more than once: {twice}"
    strangers = set(run.received) - {f.user_id for f in run.friends}
    assert not strangers


async def test_caps_exact(run: Report):
    """The channel's per-friend cap: the gold friends (four messages on their path) got
    exactly PER_DAY, and wait for tomorrow; nobody got more. The coupon scenario's
    delivery_cap, raced for by three workers: exactly COUPONS pushes, never more."""
    gold = [f for f in run.friends if f.group == "gold"]
    assert gold and all(len(run.received[f.user_id]) == PER_DAY == len(GOLD) for f in gold)
    assert all(len(texts) <= PER_DAY for texts in run.received.values())
    assert len(run.held_until) == len(gold)
    assert all(22 < hours <= 24 for hours in run.held_until), run.held_until
    coupons = [u for u, texts in run.received.items() if "coupon" in texts]
    assert len(coupons) == COUPONS == run.sent_count["coupon"]
    assert {f.group for f in run.friends if f.user_id in coupons} == {"lite"}
    lite = sum(1 for f in run.friends if f.group == "lite")
    assert lite > COUPONS  # more asked than the cap lets through
    statuses = run.enrollments["coupon"]
    assert statuses["completed"] == COUPONS
    assert set(statuses) <= {"completed", "capped"}
    assert max(run.coupon_enrolled.values()) == 1  # one coupon enrollment a friend at most
    assert all(len(run.received[u]) == len(LITE) + 1 for u in coupons)


async def test_duplicated_webhooks_enrolled_nobody_twice(run: Report):
    """Bodies spread over both APIs, some posted to both (same webhookEventIds)."""
    assert sum(run.enrollments["replicas"].values()) == len(run.friends)
    assert run.faults["webhook bodies duplicated to the other API"] > 0
    assert set(run.webhooks_by_api) == {"api-1", "api-2"}
    assert min(run.webhooks_by_api.values()) >= 5
    # the restarted API took bodies again once it was back
    assert run.faults["webhook bodies after the API restart"] > 0


async def test_the_store_agrees_with_line(run: Report):
    """One delivery row per push LINE accepted, `sent`; the scenarios' counts agree."""
    pushes = run.pushes()
    assert run.rows == {"sent": sum(pushes.values())}
    assert run.row_pushes == pushes
    assert run.row_keys <= run.accepted_keys
    main = sum(n for (_user, text), n in pushes.items() if text != "coupon")
    assert run.sent_count == {"replicas": main, "coupon": COUPONS}


async def test_no_enrollment_stuck(run: Report):
    groups = Counter(f.group for f in run.friends)
    assert run.enrollments["replicas"] == {
        "completed": groups["basic"] + groups["lite"],
        "held/frequency": groups["gold"],  # the cap's: its next push tomorrow
    }


async def test_every_fault_was_injected(run: Report):
    faults = run.faults
    assert faults["worker SIGKILLs mid-send"] == 1
    assert faults["pushes in flight at a SIGKILL"] > 0
    assert faults["pushes in flight at a SIGTERM"] > 0
    assert faults["worker SIGTERMs mid-run"] == 1
    assert faults["API restarts while webhooks arrive"] == 1
    assert faults["coupon events"] == sum(1 for f in run.friends if f.group == "lite")


async def test_the_sigtermed_worker_stopped_cleanly(run: Report):
    """SIGTERM lets the pushes under way finish and exits 0 within its grace period."""
    assert len(run.sigterm_exits) == 1
    [(_name, code, seconds)] = run.sigterm_exits
    assert code == 0 and seconds <= GRACE, run.sigterm_exits
    # uvicorn stops serving, finishes the requests under way, then raises the SIGTERM again
    assert run.api_exits in ([0], [-signal.SIGTERM]), run.api_exits
