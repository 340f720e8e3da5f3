"""The run report: one self-contained, deterministic HTML page per run directory.

``write_report(run_dir)`` reads ``run_dir/run.duckdb`` (read-only) and writes
``run_dir/report.html``: the air picture, radar coverage against altitude, altitude
profiles, and tables of what every threat, sensor and civil flight saw or missed.
"""

from __future__ import annotations

from airdefense.report.html import render_html, write_report
from airdefense.report.rundata import RunData, load_run

__all__ = ["RunData", "load_run", "render_html", "write_report"]
