"""docs/RELIABILITY.md's section on the several-replicas run (tests/faults/test_replicas.py),
written by tests/faults/report.py, with the figures of the last run when it ran (it needs
PostgreSQL: STEPLINE_TEST_DATABASE_URL)."""

REPORT_NAME = "replicas.json"  # next to the suite's other figures, STEPLINE_REPLICAS_REPORT

INJECTED = [
    (
        "Webhooks spread over two APIs, some to both",
        "signed follow webhooks (3 events a body, one body every 0.4 s) sent to the two APIs "
        "in turn, every third body to the other API as well (same `webhookEventId`s)",
        "one enrollment per friend: a body recorded by one API is a duplicate to the other",
    ),
    (
        "An API restarted while webhooks arrive",
        "out of the load balancer, SIGTERM, started again; meanwhile every body goes to the "
        "other API; the last bodies wait until it is back and go to both again",
        "uvicorn finishes the requests under way and stops (exit 0, or the SIGTERM raised "
        "again); nothing it acknowledged is lost, nothing enrolled twice",
    ),
    (
        "A worker SIGKILLed mid-send",
        "one of the three workers killed once 30 % of the welcomes have arrived, with pushes "
        "held open inside LINE; started again 1 s later",
        "the other workers take over: its pushes under way are retried with the same retry "
        "key (LINE answers 409 to those it had accepted): each counts once",
    ),
    (
        "A worker SIGTERMed mid-run",
        "another worker stopped (SIGTERM) once 30 % of the offers have arrived, pushes held "
        "open inside LINE; started again, as a deploy does",
        "it stops polling, lets the pushes under way finish and exits 0 within "
        "`STEPLINE_WORKER_GRACE_SECONDS` + 5 s",
    ),
    (
        "The channel's per-friend cap",
        "`max_per_day: 3`; the gold path has four messages",
        "each gold friend gets exactly 3, the fourth held (`frequency`) until a day later",
    ),
    (
        "A scenario's `delivery_cap`, raced for",
        "30 friends ask for a coupon at once (`POST /events`, over both APIs); the coupon "
        "scenario's `delivery_cap` is 12",
        "exactly 12 coupons pushed, `sent_count` 12; the enrollments past the cap end `capped`",
    ),
]


def section(figures: dict | None) -> list[str]:
    lines = [
        "## Several replicas at once, on PostgreSQL",
        "",
        "`tests/faults/test_replicas.py` (`replicas.py`): three `python worker.py` and two "
        "APIs (uvicorn) on one PostgreSQL database and the Temporal dev server, started "
        "together on an empty database (they take turns migrating it); "
        "`STEPLINE_WORKER_PUSH_RATE` is the channel's rate / 3. 90 friends follow a scenario "
        "of message → 4 s wait → branch on an attribute (gold: two offers; basic: one; "
        "lite: none) → 4 s wait → message, while:",
        "",
        "| fault | how it is injected | what must hold |",
        "|---|---|---|",
        *(f"| {fault} | {how} | {holds} |" for fault, how, holds in INJECTED),
        "",
        "Then, from LINE's record of pushes: every friend got their path exactly once, in order; "
        "nobody more than the cap; the store has one `sent` delivery row per push (same "
        "friend and step, retry keys LINE accepted) and each scenario's `sent_count` equals "
        "its pushes; every enrollment `completed`, `capped` (coupon) or held by the cap "
        "(gold), none stuck. The webhook processor is the API's (`STEPLINE_WEBHOOK_PROCESSOR"
        "=api`); `STEPLINE_REPLICAS_PROCESSOR=worker` runs it with the workers' instead.",
        "",
    ]
    if not figures:
        return [*lines, "(not run: no PostgreSQL server named)", ""]
    faults = figures["faults"]
    enrollments = figures["enrollments"]
    [(_name, code, seconds)] = figures["sigterm_exits"] or [(None, None, None)]
    lines += [
        "| figure | value |",
        "|---|---|",
        f"| webhook processor | {figures['processor']} |",
        f"| friends | {figures['friends']} "
        f"({', '.join(f'{n} {k}' for k, n in figures['paths'].items())}) |",
        f"| messages LINE accepted | {figures['messages_received']} |",
        f"| **duplicates** | **{figures['duplicates']}** |",
        f"| delivery rows | {_counts(figures['delivery_rows'])} |",
        f"| enrollments | {_counts(enrollments.get('replicas', {}))} |",
        f"| coupon enrollments | {_counts(enrollments.get('coupon', {}))} |",
        f"| `sent_count` | {_counts(figures['sent_count'])} |",
        f"| webhook bodies by API | {_counts(figures['webhooks_by_api'])} |",
        f"| SIGTERMed worker | exit {code} after {seconds} s |",
        f"| restarted API | exit {', '.join(str(c) for c in figures['api_exits'])} |",
        f"| run time | {figures['seconds']} s |",
        "",
        "| fault | count |",
        "|---|---|",
        *(f"| {name} | {count} |" for name, count in faults.items()),
        "",
        "```",
        *(f"{at:7.1f}s  {what}" for at, what in figures["timeline"]),
        "```",
        "",
    ]
    return lines


def _counts(counts: dict) -> str:
    return ", ".join(f"{n} {key}" for key, n in sorted(counts.items()))
