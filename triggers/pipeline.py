"""The change pipeline's parts, built once per process (the API's and the worker's alike)."""

from dataclasses import dataclass

from temporalio.client import Client

from line.profiles import ProfileSource
from store.db import Database
from store.definitions import Definitions
from triggers.bulk import Bulk
from triggers.changes import FriendChanges
from triggers.commands import Commands
from triggers.dispatch import Dispatcher
from triggers.enrol import Enroller
from triggers.evaluate import Evaluator
from triggers.friendship import Friendship
from triggers.messages import MessageHandler


@dataclass
class Pipeline:
    enroller: Enroller
    changes: FriendChanges
    dispatcher: Dispatcher


def build_pipeline(
    *,
    db: Database,
    temporal: Client,
    task_queue: str,
    definitions: Definitions,
    profiles: ProfileSource | None = None,
    eager: bool = False,
) -> Pipeline:
    """`profiles`: LINE's profile API, when the process has a channel token. `eager`: the
    client belongs to a worker of `task_queue` (eager workflow starts)."""
    enroller = Enroller(db=db, task_queue=task_queue, definitions=definitions)
    changes = FriendChanges(definitions=definitions, enroller=enroller)
    friendship = Friendship(
        db=db, enroller=enroller, messages=MessageHandler(changes=changes), profiles=profiles
    )
    dispatcher = Dispatcher(
        db=db,
        evaluator=Evaluator(db=db, friendship=friendship, changes=changes),
        commands=Commands(
            db=db, temporal=temporal, task_queue=task_queue, definitions=definitions, eager=eager
        ),
        bulk=Bulk(db=db, temporal=temporal, task_queue=task_queue, definitions=definitions),
    )
    enroller.expedite = dispatcher.expedite
    return Pipeline(enroller=enroller, changes=changes, dispatcher=dispatcher)
