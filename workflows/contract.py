"""The activities the workflows call, as typed definitions: each name, what it takes and what
it answers. activities/ implements them (each implementation class subclasses its definition
here), workflows/calls.py calls them by method reference, and the worker registers the
implementations; tests/workflows/test_contract.py holds the three together."""

from collections.abc import Callable

from temporalio import activity

from scenarios.date_runs import DateChanged, DateFire, DateFireResult, FriendDateRequest
from scenarios.runs import (
    BranchChoice,
    BranchRequest,
    ConditionRequest,
    ConditionResult,
    DecisionRecord,
    EnrollmentStatus,
    FriendUpdate,
    ProgressUpdate,
    RichMenuRequest,
    RichMenuResult,
    SendOutcome,
    SendRequest,
    SurveyClose,
    SurveyResult,
    SwitchRequest,
    SwitchResult,
)


class Unimplemented(NotImplementedError):
    """A definition was called instead of its implementation (the worker registers those)."""


class Sending:
    @activity.defn(name="send_message_step")
    async def send_message_step(self, request: SendRequest) -> SendOutcome:
        """Push one message step (a survey's question too) and record it: sent, deferred by
        the channel's policy, skipped, blocked or failed for good."""
        raise Unimplemented

    @activity.defn(name="branch_and_send")
    async def branch_and_send(self, request: BranchRequest) -> BranchChoice:
        """A branch decided, and the first message of the way it takes pushed at once when
        the request has one for that way: one local activity where there were two."""
        raise Unimplemented


class Progress:
    @activity.defn(name="record_progress")
    async def record_progress(self, update: ProgressUpdate) -> EnrollmentStatus | None:
        """The enrollment's status, step and wake-up as the store and the dashboard see it;
        for a final status, the store's own end where it has another (None: as reported)."""
        raise Unimplemented

    @activity.defn(name="evaluate_branch")
    async def evaluate_branch(self, request: BranchRequest) -> BranchChoice:
        """The first branch whose condition holds for the friend now (and the decision kept)."""
        raise Unimplemented

    @activity.defn(name="record_decision")
    async def record_decision(self, record: DecisionRecord) -> None:
        """Which way a wait_for, split or survey went, and why."""
        raise Unimplemented

    @activity.defn(name="check_condition")
    async def check_condition(self, request: ConditionRequest) -> ConditionResult:
        """Whether a wait_for's condition holds now."""
        raise Unimplemented


class Journeys:
    @activity.defn(name="update_friend")
    async def update_friend(self, update: FriendUpdate) -> None:
        """A tag or attribute step: change the friend (and what that change starts)."""
        raise Unimplemented

    @activity.defn(name="switch_scenario")
    async def switch_scenario(self, request: SwitchRequest) -> SwitchResult:
        """A switch step: enrol the friend in another scenario."""
        raise Unimplemented


class RichMenus:
    @activity.defn(name="change_rich_menu")
    async def change_rich_menu(self, request: RichMenuRequest) -> RichMenuResult:
        """Link a rich menu to the friend at LINE, or unlink theirs."""
        raise Unimplemented


class Surveys:
    @activity.defn(name="close_survey")
    async def close_survey(self, request: SurveyClose) -> SurveyResult:
        """Close a survey step's question: the answer taken, if any."""
        raise Unimplemented


class Dates:
    @activity.defn(name="fire_date_trigger")
    async def fire_date_trigger(self, fire: DateFire) -> DateFireResult:
        """A date trigger's moment came: enrol the friend."""
        raise Unimplemented

    @activity.defn(name="read_friend_date")
    async def read_friend_date(self, request: FriendDateRequest) -> DateChanged:
        """A friend's date attribute as it is now."""
        raise Unimplemented


DEFINITIONS = (Sending, Progress, Journeys, RichMenus, Surveys, Dates)


def names(definition: type) -> list[str]:
    """The activity methods a definition class declares."""
    return [
        name
        for name, member in vars(definition).items()
        if activity._Definition.from_callable(member) is not None
    ]


def implemented(*implementations: object) -> list[Callable]:
    """Every defined activity, bound to the implementation that subclasses its definition (what
    the worker registers). A definition left without an implementation is an error."""
    bound = []
    for definition in DEFINITIONS:
        doers = [impl for impl in implementations if isinstance(impl, definition)]
        if len(doers) != 1:
            raise TypeError(f"{definition.__name__}: {len(doers)} implementations given, not 1")
        bound += [getattr(doers[0], name) for name in names(definition)]
    return bound
