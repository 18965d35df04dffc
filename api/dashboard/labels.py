"""The stored words the dashboard shows (statuses, step types, trigger types, hold reasons,
operations, timeline kinds, funnel measures), each known one marked for the catalogs with its
kind as the gettext context: `{{ label("status", e.status) }}` in a template. English shows
them as stored; a value not listed here is shown as it is."""


def NC_(context: str, message: str) -> str:
    """Marks a message with its context for the catalogs (Babel: `-k NC_:1c,2`)."""
    return message


LABELS: dict[str, frozenset[str]] = {
    kind: frozenset(words)
    for kind, words in {
        # an enrollment's, a scenario's and an operation's status
        "status": (
            NC_("status", "waiting"),
            NC_("status", "sending"),
            NC_("status", "held"),
            NC_("status", "completed"),
            NC_("status", "blocked"),
            NC_("status", "exited"),
            NC_("status", "ended"),
            NC_("status", "capped"),
            NC_("status", "failed"),
            NC_("status", "draft"),
            NC_("status", "active"),
            NC_("status", "paused"),
            NC_("status", "queued"),
            NC_("status", "running"),
            NC_("status", "done"),
            NC_("status", "superseded"),
        ),
        "hold": (
            NC_("hold", "window"),
            NC_("hold", "quiet"),
            NC_("hold", "frequency"),
            NC_("hold", "pause"),
            NC_("hold", "quota"),
            NC_("hold", "blocked"),
        ),
        "trigger": (
            NC_("trigger", "follow"),
            NC_("trigger", "event"),
            NC_("trigger", "keyword"),
            NC_("trigger", "audience"),
            NC_("trigger", "date"),
        ),
        "step": (
            NC_("step", "message"),
            NC_("step", "wait"),
            NC_("step", "wait_for"),
            NC_("step", "branch"),
            NC_("step", "split"),
            NC_("step", "switch"),
            NC_("step", "tag"),
            NC_("step", "attribute"),
            NC_("step", "survey"),
            NC_("step", "rich_menu"),
        ),
        "action": (
            NC_("action", "activate"),
            NC_("action", "pause"),
            NC_("action", "resume"),
            NC_("action", "end"),
            NC_("action", "dates"),
            NC_("action", "end_dates"),
            NC_("action", "migrate"),
            NC_("action", "audience"),
            NC_("action", "import"),
            NC_("action", "attributes"),
            NC_("action", "tags"),
        ),
        "timeline": (
            NC_("timeline", "follow"),
            NC_("timeline", "block"),
            NC_("timeline", "enrolled"),
            NC_("timeline", "step_entered"),
            NC_("timeline", "held"),
            NC_("timeline", "decision"),
            NC_("timeline", "sent"),
            NC_("timeline", "failed"),
            NC_("timeline", "unconfirmed"),
            NC_("timeline", "reserved"),
            NC_("timeline", "skipped"),
            NC_("timeline", "click"),
            NC_("timeline", "event"),
            NC_("timeline", "enrollment_ended"),
        ),
        "measure": (
            NC_("measure", "entered"),
            NC_("measure", "sent"),
            NC_("measure", "clicked"),
            NC_("measure", "converted"),
        ),
    }.items()
}
