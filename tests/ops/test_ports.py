"""free_port: the ports the tests and the bench start their servers on. Two test processes run at
once (pytest-xdist), each picking ports for the servers it starts (and starts again, on the same
port, after stopping them); a port one of them picked must never be handed to the other, or one's
client talks to the other's server (seen in CI: the bench's admin call answered 401 by some other
test's API, started on the port the bench had picked)."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import serve

ROOT = Path(__file__).resolve().parent.parent.parent


class Picks:
    """Stands for the random choice: the ports in the order given."""

    def __init__(self, ports: list[int]):
        self.ports: Iterator[int] = iter(ports)

    def randrange(self, start: int, stop: int) -> int:
        port = next(self.ports)
        assert start <= port < stop
        return port


def _unclaimed(port: int) -> bool:
    """Whether no process claims `port` (the other xdist worker holds hundreds of claims)."""
    if not sys.platform.startswith("linux"):
        return True
    claim = serve.claim_of(port)
    if claim is None:
        return False
    claim.close()
    return True


def _unbound_ports(count: int) -> list[int]:
    """Ports in free_port's range that nothing here binds and no process has claimed."""
    found: list[int] = []
    for port in range(31_999, 20_000, -1):
        if port not in serve._held and serve.unbound(port) and _unclaimed(port):
            found.append(port)
        if len(found) == count:
            return found
    raise AssertionError("no unbound ports")


def _pick_in_child(*ports: int, then_hold: bool = False) -> subprocess.Popen:
    """Another process (as the other xdist worker is) asking free_port with the random choice
    giving `ports` in turn; it prints what it got (and waits for a line on stdin if asked)."""
    code = (
        "import sys; from core import serve; from tests.ops.test_ports import Picks; "
        f"serve._ports = Picks({list(ports)}); print(serve.free_port(), flush=True); "
        + ("sys.stdin.readline()" if then_hold else "")
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_port_is_not_picked_twice_by_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = _unbound_ports(2)
    monkeypatch.setattr(serve, "_ports", Picks([first, first, second]))
    assert serve.free_port() == first
    # nothing is listening on it yet (its server is still starting), and still it is not free
    assert serve.free_port() == second


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="claims are Linux's")
def test_a_port_picked_here_is_not_picked_by_another_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine, other = _unbound_ports(2)
    monkeypatch.setattr(serve, "_ports", Picks([mine]))
    assert serve.free_port() == mine
    child = _pick_in_child(mine, other)
    out, _ = child.communicate(timeout=30)
    assert child.returncode == 0
    assert int(out) == other


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="claims are Linux's")
def test_a_claim_lasts_while_its_process_lives_and_ends_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    theirs, spare = _unbound_ports(2)
    child = _pick_in_child(theirs, then_hold=True)
    assert child.stdout is not None and int(child.stdout.readline()) == theirs
    monkeypatch.setattr(serve, "_ports", Picks([theirs, spare]))
    assert serve.free_port() == spare  # the other process holds its claim
    child.communicate("\n", timeout=30)
    assert child.returncode == 0
    monkeypatch.setattr(serve, "_ports", Picks([theirs]))
    assert serve.free_port() == theirs  # the kernel dropped the claim with the process
