"""The bulk operations' benchmark keeps working: a small run of the very command the README
documents, and its table in docs/PERFORMANCE.md."""

import json
import subprocess
import sys
from pathlib import Path

from bench.bulk import table, write_doc
from cli.devstate import ROOT

FIGURES = {
    "enrollments": 100000,
    "upload": {"answer_ms": 812.3, "enrolled_s": 1530.2, "workflows_s": 2100.0},
    "pause": {"answer_ms": 48.1, "done_s": 260.4, "workflows_s": 300.9},
    "resume": {"answer_ms": 51.0, "done_s": 270.0, "workflows_s": 310.2},
    "run_at": "2026-12-06 12:00 UTC",
    "machine": "2 cores",
}


def test_the_table_says_each_operation_in_a_row() -> None:
    rows = table(FIGURES).splitlines()
    assert rows[0].startswith("`python -m bench.bulk --enrollments 100000`, 2026-12-06")
    assert rows[-2] == "| pause of 100,000 waiting enrollments | 48 ms | 260 s | 301 s |"


def test_the_figures_go_between_the_markers_of_the_document(tmp_path: Path) -> None:
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text("# P\n\n<!-- bulk figures -->\nold\n<!-- /bulk figures -->\n\nafter\n")
    write_doc(FIGURES, doc)
    text = doc.read_text()
    assert "old" not in text and text.endswith("<!-- /bulk figures -->\n\nafter\n")
    assert table(FIGURES) in text


def test_a_small_run_of_the_bulk_benchmark(tmp_path: Path) -> None:
    """Upload, pause and resume of 20 enrollments, end to end (dev server, API, worker)."""
    result = tmp_path / "bulk.json"
    command = [
        sys.executable, "-m", "bench.bulk", "--enrollments", "20", "--result", str(result),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    figures = json.loads(result.read_text())
    assert figures["enrollments"] == 20
    for name in ("pause", "resume"):
        assert figures[name]["answer_ms"] > 0 and figures[name]["done_s"] >= 0
    assert figures["upload"]["enrolled_s"] >= 0
