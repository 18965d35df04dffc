"""The contention benchmark keeps working: its table, and a small run of the very command
docs/PERFORMANCE.md documents (webhooks and pages while an import runs)."""

import json
import subprocess
import sys
from pathlib import Path

from bench.bulk import between_markers
from bench.contention import table
from cli.devstate import ROOT

FIGURES = {
    "rows": 300000,
    "steps": 500,
    "page_alone_ms": 400.0,
    "import_s": 41.5,
    "webhook": {"count": 300, "p50_ms": 12.0, "p99_ms": 250.0, "max_ms": 900.4},
    "readyz": {"count": 80, "p50_ms": 5.0, "p99_ms": 90.0, "max_ms": 120.0},
    "page": {"count": 0},
    "run_at": "2026-12-06 15:00 UTC",
    "machine": "2 cores",
}


def test_the_table_has_a_row_for_each_kind_of_request_answered(tmp_path: Path) -> None:
    rows = table(FIGURES).splitlines()
    assert rows[0].startswith("`python -m bench.contention --rows 300000`, 2026-12-06 15:00 UTC")
    assert "| signed follow webhook, every 100 ms | 300 | 12 ms | 250 ms | 900 ms |" in rows
    assert not any("page, every" in row for row in rows)  # none answered: no row
    doc = tmp_path / "P.md"
    doc.write_text("a\n<!-- contention figures -->\nold\n<!-- /contention figures -->\nb\n")
    between_markers(doc, "contention", table(FIGURES))
    assert "old" not in doc.read_text() and table(FIGURES) in doc.read_text()


def test_a_small_run(tmp_path: Path) -> None:
    result = tmp_path / "contention.json"
    command = [sys.executable, "-m", "bench.contention", "--rows", "3000", "--result", str(result)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    figures = json.loads(result.read_text())
    assert figures["rows"] == 3000 and figures["import_s"] > 0
    assert figures["page_alone_ms"] > 0
