"""The `stepline` command (cli/main.py). Typer draws help with rich unless told not to, and
rich's help formatter (markdown, pygments…) is half of a `--help`'s start-up here: plain help
is stepline's default, to answer in well under half a second; TYPER_USE_RICH=1 brings rich's
back. (Set before typer is imported: it reads the variable once.)"""

import os

os.environ.setdefault("TYPER_USE_RICH", "0")
