"""A timeline entry (`GET /friends/{user_id}/timeline`, store/timeline.py) in words: one
wording for the dashboard's friend page and `stepline friend show`. Where the step has a
column of its own (the CLI's table) the words leave it out; a moment is written by the
caller's `clock` (the dashboard's UTC, the terminal's local time)."""

import gettext
import json
from collections.abc import Callable
from typing import Any


def N_(message: str) -> str:
    """Marks a string for the dashboard's catalogs (api/dashboard/locales)."""
    return message


SENDS = {"sent": N_("sent"), "failed": N_("LINE refused"), "unconfirmed": N_("pushed, unconfirmed"),
         "reserved": N_("pushing"), "skipped": N_("skipped")}  # fmt: skip
# a first message sent as the free reply to the event that started the enrollment
REPLIES = {"sent": N_("sent as a free reply"), "unconfirmed": N_("replied, unconfirmed")}
LIMIT = 120  # characters of the facts or properties shown
ENGLISH = gettext.NullTranslations()


def compact(value: Any, limit: int = LIMIT) -> str:
    """A JSON value as short text: strings as they are, the rest as compact JSON."""
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(
    entry: dict[str, Any],
    *,
    clock: Callable[[Any], str],
    step_shown: bool = False,
    translations: gettext.NullTranslations = ENGLISH,
) -> str:
    """The entry in words. `step_shown`: the step is shown beside them (not named here).
    `translations`: the dashboard's language (English, as the CLI has it, by default)."""
    _ = translations.gettext
    kind, detail = entry["kind"], entry.get("detail") or {}
    if detail.get("test"):  # a test send's run (POST /scenarios/{id}/test-sends)
        rest = {**entry, "detail": {**detail, "test": False}}
        words = describe(rest, clock=clock, step_shown=step_shown, translations=translations)
        return _("test: %(words)s") % {"words": words}
    step = None if step_shown else entry.get("step_id")
    reason = entry.get("reason")
    because = f": {reason}" if reason else ""
    if kind == "follow":
        words = [_("added the account")]
        if detail.get("is_unblocked"):
            words.append(_("again, after a block"))
        if detail.get("source") == "friend":
            words.append(_("(no webhook on record)"))
        return " ".join(words)
    if kind == "block":
        return _("blocked the account")
    if kind == "enrolled":
        entry_no = detail.get("entry") or 1
        facts = {"version": detail.get("version"), "entry": entry_no}
        if entry_no > 1:
            return _("enrolled (version %(version)s, entry %(entry)s)") % facts
        return _("enrolled (version %(version)s)") % facts
    if kind == "step_entered":
        return _("entered step %(step)s") % {"step": step} if step else _("entered")
    if kind == "held":
        held = _("held at %(step)s") % {"step": step} if step else _("held")
        why = reason or _("channel policy")
        words = [f"{held}: {why}"]
        if entry.get("until"):
            words.append(_("until %(moment)s") % {"moment": clock(entry["until"])})
        if detail.get("live"):
            words.append(_("(now)"))
        return " ".join(words)
    if kind == "decision":
        inputs = f" {compact(detail['inputs'])}" if detail.get("inputs") else ""
        label = entry.get("label") or "otherwise"
        went = {"step": step, "label": label}
        return (_("%(step)s went %(label)s") % went if step else f"→ {label}") + inputs
    if kind in SENDS:
        request = (
            " " + _("(request %(id)s)") % {"id": detail["request_id"]}
            if detail.get("request_id")
            else ""
        )
        said = (
            _(REPLIES[kind]) if detail.get("via") == "reply" and kind in REPLIES else _(SENDS[kind])
        )
        if detail.get("silent") and kind == "sent":
            said = _("%(said)s (silently)") % {"said": said}
        return said + (f" {step}" if step else "") + because + request
    if kind == "click":
        url = detail.get("url") or _("a tracked link")
        if step:
            return _("clicked %(url)s of %(step)s") % {"url": url, "step": step}
        return _("clicked %(url)s") % {"url": url}
    if kind == "event":
        properties = f" {compact(detail['properties'])}" if detail.get("properties") else ""
        return _("event %(name)s") % {"name": detail.get("name")} + properties
    if kind == "enrollment_ended":
        status = entry.get("status")
        said = translations.pgettext("status", status) if isinstance(status, str) else status
        ended = (
            _("enrollment ended: %(status)s at %(step)s") % {"status": said, "step": step}
            if step
            else _("enrollment ended: %(status)s") % {"status": said}
        )
        return ended + because
    return reason or kind
