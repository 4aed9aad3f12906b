"""``python -m core customers`` run as a subprocess on a small database file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.db import connect
from tests.metrics_fixtures import d

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = [
    "customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
    "rfm_segment", "abc_tier", "lifecycle_stage", "churn_risk", "churn_reasons",
]


@pytest.fixture(scope="module")
def db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    a: 2024-06-01 100, 2024-06-20 50 → as of 06-30 (latest order): recency 10, F 2, M 150, new.
    b: 2024-01-01 80                 → recency 181 > 180: churned.
    c: 2024-06-30 10                 → recency 0, F 1, M 10, new. Its name starts with "=".
    Three customers are far too few to train: churn risk comes from the stage rules
    (new 0.3, churned 0.9).
    """
    path = tmp_path_factory.mktemp("cli") / "shop.duckdb"
    con = connect(path)
    con.execute("INSERT INTO customers (customer_id, name) VALUES ('a', '王伟'), ('b', 'Bob'), "
                "('c', '=HYPERLINK(\"x\")')")
    for i, (cid, day, amount) in enumerate([
        ("a", "2024-06-01", 100), ("a", "2024-06-20", 50), ("b", "2024-01-01", 80),
        ("c", "2024-06-30", 10),
    ]):
        con.execute("INSERT INTO orders (order_id, customer_id, order_date, amount) VALUES (?, ?, ?, ?)",
                    [f"o{i}", cid, d(day), amount])
    con.close()
    return path


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core", "customers", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


def test_csv_has_bom_required_columns_and_hand_computed_values(db_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "customers.csv"
    proc = run_cli("--db", db_file, "--out", out, "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(out, encoding="utf-8-sig").set_index("customer_id")
    assert set(REQUIRED) - {"customer_id"} <= set(df.columns)
    assert df.loc["a", ["recency_days", "frequency", "monetary"]].tolist() == [10, 2, 150.0]
    assert df.loc["b", "lifecycle_stage"] == "churned" and df.loc["a", "lifecycle_stage"] == "new"
    assert df.loc["b", "churn_risk"] == 0.9 and df.loc["a", "churn_risk"] == 0.3
    assert df.loc["b", "churn_reasons"] == "no order for 181 days: churned"
    assert df.loc["a", "name"] == "王伟"


def test_csv_cells_cannot_run_as_spreadsheet_formulas(db_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "customers.csv"
    assert run_cli("--db", db_file, "--out", out).returncode == 0
    df = pd.read_csv(out, encoding="utf-8-sig").set_index("customer_id")
    assert df.loc["c", "name"] == "'=HYPERLINK(\"x\")"


def test_parquet_with_as_of_in_the_past_ignores_later_orders(db_file: Path, tmp_path: Path) -> None:
    # As of 2024-06-10: a has only its 06-01 order (recency 9, F 1, M 100); c has not ordered yet
    # (potential, no risk); b is 161 days old → at_risk.
    out = tmp_path / "customers.parquet"
    proc = run_cli("--db", db_file, "--as-of", "2024-06-10", "--out", out)
    assert proc.returncode == 0, proc.stderr
    df = pd.read_parquet(out).set_index("customer_id")
    assert df.loc["a", ["recency_days", "frequency", "monetary"]].tolist() == [9, 1, 100.0]
    assert df.loc["c", "lifecycle_stage"] == "potential" and pd.isna(df.loc["c", "churn_risk"])
    assert df.loc["b", "lifecycle_stage"] == "at_risk"
    assert df.loc["b", "lifecycle_stage_name"] == "预警客户"


def test_unknown_output_format_is_refused_with_exit_code_2(db_file: Path, tmp_path: Path) -> None:
    proc = run_cli("--db", db_file, "--out", tmp_path / "customers.xlsx")
    assert proc.returncode == 2 and ".csv or .parquet" in proc.stderr


def test_missing_database_is_a_readable_error(tmp_path: Path) -> None:
    proc = run_cli("--db", tmp_path / "nope.duckdb", "--out", tmp_path / "x.csv")
    assert proc.returncode == 2 and "No database" in proc.stderr
    assert not (tmp_path / "nope.duckdb").exists()
