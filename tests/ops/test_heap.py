"""The API's start-up heap is frozen out of the garbage collector's walks once it is up
(core/heap.py) — in a process of its own (`uvicorn api.app:app` passes `settle_heap`; a
process that builds apps for tests does not)."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, gc, sys
    from api.app import create_app
    from tests.support.stack import settings_for

    async def main(settle):
        settings = settings_for(database_url=sys.argv[1], line_api="http://127.0.0.1:9")
        app = create_app(settings, temporal=object(), settle_heap=settle)
        async with app.router.lifespan_context(app):
            print(gc.get_freeze_count())

    asyncio.run(main(sys.argv[2] == "settle"))
    """
)


def _frozen(tmp_path, how: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path}/{how}.db", how],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def test_the_api_process_freezes_its_start_up_heap(tmp_path):
    assert _frozen(tmp_path, "settle") > 100_000  # modules, routes, mappers, models
