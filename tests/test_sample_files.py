"""The CSV templates in data/sample import cleanly and give the same analytics as the demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from core import db
from core.metrics import base
from core.settings import Settings
from tests.conftest import DEMO_END

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def _import(db_path: Path, kind: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "core", "import", "--db", str(db_path), "--kind", kind,
         str(SAMPLE / f"{kind}.csv")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sample_files_import_to_the_same_analytics_as_the_demo(tmp_path: Path, demo_db_file: Path) -> None:
    path = tmp_path / "imported.duckdb"
    for kind in ("customers", "orders", "surveys"):
        out = _import(path, kind)
        assert "rejected 0" in out, out
    imported = db.connect(path)
    demo = duckdb.connect(str(demo_db_file), read_only=True)
    for sql in (
        "SELECT count(*), count(DISTINCT owner), count(DISTINCT region) FROM customers",
        "SELECT count(*), sum(amount), count(*) FILTER (WHERE status = 'refunded'), "
        "count(*) FILTER (WHERE status = 'cancelled') FROM orders",
        "SELECT count(*), count(*) FILTER (WHERE kind = 'complaint'), sum(score), "
        "count(*) FILTER (WHERE scale = 'nps') FROM surveys",
    ):
        assert imported.execute(sql).fetchall() == demo.execute(sql).fetchall(), sql
    # Chinese headers and status words (已退款, 投诉, NPS) were understood: same segments and stages
    s = Settings(as_of=DEMO_END)
    a = base.customer_base(imported, s).set_index("customer_id")
    b = base.customer_base(_copy(demo_db_file, tmp_path), s).set_index("customer_id")
    for column in ("rfm_segment", "abc_tier", "lifecycle_stage", "frequency"):
        assert a[column].astype(object).fillna("none").astype(str).equals(
            b[column].astype(object).fillna("none").astype(str)), column


def _copy(src: Path, tmp: Path) -> duckdb.DuckDBPyConnection:
    import shutil

    target = tmp / "demo_copy.duckdb"
    shutil.copy(src, target)
    return db.connect(target)
