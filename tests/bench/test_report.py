"""bench.report: a bench run's figures into their section of docs/PERFORMANCE.md."""

import json
from pathlib import Path

import pytest

from bench import report
from tests.bench.test_bench import _figures

DOC = """# Performance

<!-- latest figures -->
old table
<!-- /latest figures -->

by hand

<!-- waiting figures -->
old waiting table
<!-- /waiting figures -->
"""


def _result(waiting: int = 0, floor: bool = True) -> dict:
    stepline = _figures(deliveries_per_s=60.0, worker_peak_rss_mb=420.5).model_dump()
    return {
        "at": "2026-12-01T05:00:00Z",
        "machine": {"cores": 2},
        "plan": {"friends": 2000, "rate": 200.0, "waiting": waiting, "database": "sqlite"},
        "floor": _figures(deliveries_per_s=40.0).model_dump() if floor else None,
        "stepline": stepline,
        "ratio": {"deliveries_per_s": 1.5} if floor else None,
    }


def test_a_default_run_fills_the_latest_figures_and_nothing_else(tmp_path: Path) -> None:
    doc, result = tmp_path / "PERFORMANCE.md", tmp_path / "latest.json"
    doc.write_text(DOC)
    result.write_text(json.dumps(_result()))
    report.run(result, doc=doc)
    text = doc.read_text()
    assert "old table" not in text and "old waiting table" in text and "by hand" in text
    assert "2,000 friends, 200 follows/s, SQLite" in text
    assert "| deliveries / s after T | 40 | 60 | 1.5 | ≥ 1.3× |" in text


def test_a_waiting_run_fills_its_own_section(tmp_path: Path) -> None:
    doc, result = tmp_path / "PERFORMANCE.md", tmp_path / "waiting.json"
    doc.write_text(DOC)
    result.write_text(json.dumps(_result(waiting=98000, floor=False)))
    report.run(result, doc=doc)
    text = doc.read_text()
    assert "old table" in text and "old waiting table" not in text
    assert "98,000 more enrollments waiting" in text
    assert "| worker peak RSS (MB) | – | 420.5 | – | < 500 (100,000 waiting) |" in text


def test_a_document_without_the_section_is_refused() -> None:
    with pytest.raises(ValueError, match="no <!-- latest figures --> section"):
        report.rewrite("# Performance\n", "latest figures", "table")


def test_a_repeated_run_shows_its_medians_with_their_spread(tmp_path: Path) -> None:
    doc, result = tmp_path / "PERFORMANCE.md", tmp_path / "latest.json"
    doc.write_text(DOC)
    repeated = _result() | {
        "repeats": 3,
        "spread": {
            "floor": {"deliveries_per_s": [38.0, 44.5]},
            "stepline": {"deliveries_per_s": [60.0, 60.0]},
        },
    }
    result.write_text(json.dumps(repeated))
    report.run(result, doc=doc)
    text = doc.read_text()
    assert "medians of 3 runs of each phase" in text
    assert "| deliveries / s after T | 40 (38–44.5) | 60 | 1.5 | ≥ 1.3× |" in text
