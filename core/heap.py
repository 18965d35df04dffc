"""The start-up heap out of the garbage collector's way.

A long-running process holds hundreds of thousands of objects made at start-up (modules,
FastAPI's routes, SQLAlchemy's mappers, pydantic's models and validators) that live as long
as it does; every full collection walks them all again — in the API, 0.4 s with its event
loop stopped, every webhook answered meanwhile waiting (bench/, docs/PERFORMANCE.md).
`gc.freeze()` moves them to a permanent generation that collections skip (the standard
library's own advice for long-running servers)."""

import gc


def settle() -> None:
    """Collect what start-up left over, then freeze the rest: call once the process is up."""
    gc.collect()
    gc.freeze()
