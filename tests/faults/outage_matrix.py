"""The outage run's rows in docs/RELIABILITY.md: each kind of change, how it is made while
Temporal is away, what must hold once it is back, and what a run saw."""

import re


def said(run: dict, name: str, of: str | None = None) -> str:
    """What the friend got, in order, and their enrollment's status at the end."""
    texts = [re.sub(r"https?://\S+/r/\S+", "(tracked link)", text) for text in run["texts"][name]]
    status = run["statuses"].get(of or name)
    seen = " → ".join(texts) if texts else "nothing"
    return seen + (f" ({status})" if status else "")


# (kind, what is done while Temporal is away, what must hold once it is back, the outcome seen)
OUTAGE_MATRIX = [
    (
        "follow",
        "a friend adds the account (signed follow webhook)",
        "enrolled once: the welcome once",
        lambda r: said(r, "follow"),
    ),
    (
        "unfollow of a friend who waits",
        "a friend waiting in a 1-day wait blocks",
        "the enrollment `blocked`, nothing more sent",
        lambda r: said(r, "unfollow", "follow"),
    ),
    ("event trigger", "`POST /events` cart_add", "enrolled once", lambda r: said(r, "event")),
    (
        "`exit` event during a wait",
        "`POST /events` purchase, the scenario's `exit`",
        "`exited`, nothing more sent",
        lambda r: said(r, "exit"),
    ),
    (
        "`wait_for` event",
        "`POST /events` answer, what a `wait_for` waits for",
        "goes on along `then` once",
        lambda r: said(r, "wait_for"),
    ),
    (
        "audience upload trigger",
        "`PUT /audiences/{id}/members` (202)",
        "enrolled once",
        lambda r: said(r, "audience"),
    ),
    (
        "attribute that moves a date trigger",
        "`PUT /friends/{id}/attributes` birthday",
        "the friend's date schedule told the new date once",
        lambda r: f"moved to {', '.join(map(str, r['date_moves'][1:]))}",
    ),
    (
        "tag a `wait_for` and a branch read",
        "`POST /friends/{id}/tags` vip",
        "goes on along `then` once; the branch takes the tag's arm",
        lambda r: said(r, "tag"),
    ),
    (
        "click a `wait_for` and a `clicked` branch read",
        "`GET /r/{token}` (302)",
        "goes on along `then` once; the branch takes the clicked arm",
        lambda r: said(r, "click"),
    ),
    (
        "survey answer",
        "a tapped option (signed postback webhook)",
        "taken once, `then` once",
        lambda r: said(r, "survey"),
    ),
    (
        "pause, then resume",
        "`POST /scenarios/{id}/pause` (202); Temporal back; held at the "
        "next send; away again: `/resume` (202)",
        "one pause and one resume signal; then the next message once",
        lambda r: f"signals {r['controls']}; " + said(r, "pause"),
    ),
    (
        "API SIGKILLed between commit and dispatch",
        "`POST /events` killme answered 201, then "
        "the API killed (no dispatcher left), Temporal back, the API started again",
        "acted on once after the restart",
        lambda r: said(r, "kill"),
    ),
]
