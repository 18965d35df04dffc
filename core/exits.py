"""How a process that used a Temporal client ends: its output flushed, then `os._exit`, before
the interpreter finalizes — sdk-python#300 can abort it there, turning a clean exit into
SIGABRT's 134 or SIGSEGV's 139."""

import os
import sys
from typing import NoReturn


def leave(code: int) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
