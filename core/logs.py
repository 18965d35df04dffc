"""Log lines for machines or people (STEPLINE_LOG_FORMAT): JSON objects, one a line, or text.

Each line carries the ids of what it is about, as fields: `enrollment_id` (the workflow id),
`scenario_id`, `step_id`, `user_id`, `workflow_id`, `webhook_event_id`. They come from
- inside an activity: Temporal's activity info, and the ids in the activity's argument
  (`ActivityIds`, a worker interceptor, binds them for the activity's task);
- a workflow's `workflow.logger`: the `temporal_workflow` details it puts on the record;
- elsewhere: what the code bound with `bound(...)` or passed as `extra`.
Nothing here logs message texts or tokens; request logs lose their query strings."""

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, Literal

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from temporalio import activity, workflow
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

IDS = ("enrollment_id", "scenario_id", "step_id", "user_id", "workflow_id", "webhook_event_id")
TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_bound: ContextVar[Mapping[str, str]] = ContextVar("stepline_log_ids", default=MappingProxyType({}))


@contextmanager
def bound(**ids: str | None) -> Iterator[None]:
    """Every line logged in this block (and the tasks it starts) carries these ids."""
    token = _bound.set({**_bound.get(), **{k: v for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _bound.reset(token)


def current() -> dict[str, str]:
    """The ids bound here now (to carry them to where the work goes on)."""
    return dict(_bound.get())


def enrollment_ids(enrollment_id: str) -> dict[str, str]:
    """The scenario and friend an enrollment id names (`enrollment:{scenario}:{user}:{epoch}`)."""
    parts = enrollment_id.split(":")
    if len(parts) < 4 or parts[0] != "enrollment":
        return {}
    return {"enrollment_id": enrollment_id, "scenario_id": parts[1], "user_id": parts[2]}


class Ids(logging.Filter):
    """Puts the ids of the record's context on it (see the module's docstring); never drops."""

    def filter(self, record: logging.LogRecord) -> bool:
        found: dict[str, Any] = dict(_bound.get())
        details = getattr(record, "temporal_workflow", None)  # workflow.logger's
        if isinstance(details, Mapping) and details.get("workflow_id"):
            found.setdefault("workflow_id", details["workflow_id"])
        if activity.in_activity():
            info = activity.info()
            found.setdefault("workflow_id", info.workflow_id)
            found.setdefault("activity", info.activity_type)
            found.setdefault("attempt", info.attempt)
        enrollment = getattr(record, "enrollment_id", None) or found.get("enrollment_id")
        for source in (enrollment, found.get("workflow_id")):
            if isinstance(source, str):
                for key, value in enrollment_ids(source).items():
                    found.setdefault(key, value)
        for key, value in found.items():
            if getattr(record, key, None) is None:
                setattr(record, key, value)
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            record.args = _without_query(record.args)
        return True


def _without_query(args: tuple) -> tuple:
    """uvicorn's access line (client, method, path, version, status): the path without its
    query string (LINE Login's callback carries a one-time code there)."""
    if len(args) == 5 and isinstance(args[2], str):
        return (*args[:2], args[2].split("?", 1)[0], *args[3:])
    return args


class TextWithIds(logging.Formatter):
    """TEXT, followed by the record's ids as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{key}={getattr(record, key)}" for key in IDS if getattr(record, key, None))
        return f"{line} [{ids}]" if ids else line


def formatter(kind: Literal["json", "text"]) -> logging.Formatter:
    if kind == "text":
        return TextWithIds(TEXT)
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",  # ISO 8601, UTC
        # uvicorn's coloured copy of a message; taskName is Python's own (3.12+)
        reserved_attrs=[*RESERVED_ATTRS, "color_message", "taskName"],
    )


def configure(kind: Literal["json", "text"], *, level: int = logging.INFO) -> logging.Handler:
    """One handler on the root logger, to stderr, in this format; uvicorn's loggers (and any
    configured before) hand their records to it. Returns the handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(Ids())
    handler.setFormatter(formatter(kind))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        for old in logger.handlers[:]:
            logger.removeHandler(old)
        logger.propagate = True
    # Temporal's loggers append their details to the message too: as JSON they are fields
    # (temporal_activity, temporal_workflow), and the message stays the same from line to line
    activity.logger.activity_info_on_message = kind == "text"
    workflow.logger.workflow_info_on_message = kind == "text"
    return handler


# --- the ids of an activity's argument -----------------------------------------------------


def argument_ids(argument: object) -> dict[str, str]:
    """enrollment_id, scenario_id, step_id, user_id of a request from the workflow (a
    SendRequest, a ProgressUpdate's status, a BranchRequest …), those it has."""
    found: dict[str, str] = {}
    for source in (argument, getattr(argument, "status", None)):
        for key in ("enrollment_id", "scenario_id", "step_id", "user_id"):
            value = getattr(source, key, None)
            if isinstance(value, str):
                found.setdefault(key, value)
        step = getattr(source, "step", None)
        if isinstance(step, str):
            found.setdefault("step_id", step)
    return found


class _BindIds(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        # not reset: each activity runs in a task of its own, and Temporal's own lines about
        # it (a failure) come after this returns, in that task
        _bound.set({**_bound.get(), **(argument_ids(input.args[0]) if input.args else {})})
        return await self.next.execute_activity(input)


class ActivityIds(Interceptor):
    """A worker interceptor: an activity's lines carry the ids of its argument."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _BindIds(next)
