"""``python -m core`` demo and info, run as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_help_lists_the_commands() -> None:
    out = run("--help")
    assert out.returncode == 0
    assert "demo" in out.stdout and "info" in out.stdout


def test_demo_then_info_counts_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.duckdb"
    made = run("demo", "--db", str(path), "--customers", "120", "--seed", "3", "--end", "2025-12-31")
    assert made.returncode == 0, made.stderr
    assert "customers 120" in made.stdout
    info = run("info", "--db", str(path))
    assert info.returncode == 0
    line = next(ln for ln in info.stdout.splitlines() if ln.startswith("customers"))
    assert line.split()[-1] == "120"


def test_demo_refuses_a_database_with_data(tmp_path: Path) -> None:
    path = tmp_path / "d.duckdb"
    assert run("demo", "--db", str(path), "--customers", "30").returncode == 0
    again = run("demo", "--db", str(path), "--customers", "30")
    assert again.returncode == 2
    assert "already holds data" in again.stderr
