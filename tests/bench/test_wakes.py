"""`python -m bench.wakes`: the wake-up path without Temporal, each enrollment pushed once."""

import subprocess
import sys

from cli.devstate import ROOT


def test_every_enrollment_that_wakes_is_pushed_once() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.wakes", "--wakes", "30"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    figures = dict(item.split("=") for item in result.stdout.split())
    assert (figures["wakes"], figures["sent"], figures["pushes"]) == ("30", "30", "30")
    assert float(figures["wakes_per_s"]) > 0 and float(figures["cpu_ms_per_wake"]) > 0
