"""Between phases the bench lets the machine settle (bench/quiet.py), never for long."""

import time

from bench import quiet


def test_settling_takes_at_most_its_bound_even_on_a_busy_machine(monkeypatch) -> None:
    busy = iter(range(0, 10**9, 1000))
    monkeypatch.setattr(quiet, "machine_seconds", lambda: (next(busy), 0.0))  # never idle
    monkeypatch.setattr(quiet, "LOOK", 0.05)
    began = time.monotonic()
    assert 0.3 <= quiet.settle(at_most=0.3) < 1.0
    assert time.monotonic() - began < 1.0


def test_an_idle_machine_is_settled_after_one_look(monkeypatch) -> None:
    monkeypatch.setattr(quiet, "machine_seconds", lambda: (0.0, 0.0))  # not busy at all
    monkeypatch.setattr(quiet, "LOOK", 0.05)
    assert quiet.settle(at_most=5.0) < 1.0
