"""Benchmark of the churn warning: features, training (both candidates + final fit) and scoring
with reasons on the large generated database; JSON to benchmarks/results/churn.json.

Training and scoring are timed apart, side by side in one run: after a follow-up is saved the
app keeps the model (keyed on the imported-data version) and only scores again, so
``rescore_after_plan_save`` is what a manager waits for then, ``train`` what an import costs.

    python benchmarks/bench_churn.py [--db benchmarks/out/bench.duckdb] [--customers 1000000]
                                     [--max-train-rows 200000] [--out benchmarks/results/churn.json]

Without the database file it is generated first with ``benchmarks/gen_data.py`` at the given
size (orders = 10 × customers, surveys = customers). Training rows above ``--max-train-rows``
are subsampled (stratified, fixed seed); the JSON says how many were used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.db import connect  # noqa: E402
from core.metrics import churn  # noqa: E402
from core.settings import Settings  # noqa: E402

DEFAULT_DB = ROOT / "benchmarks" / "out" / "bench.duckdb"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "churn.json"
TARGET_TRAIN_SECONDS = 60.0


def ensure_db(path: Path, customers: int) -> None:
    """Generate the benchmark database with gen_data.py when it is missing."""
    if path.exists():
        return
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gen_data.py"), "--customers", str(customers),
         "--orders", str(10 * customers), "--surveys", str(customers), "--out", str(path)],
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--customers", type=int, default=1_000_000,
                        help="size to generate when --db does not exist")
    parser.add_argument("--max-train-rows", type=int, default=churn.MAX_TRAIN_ROWS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    ensure_db(args.db, args.customers)
    churn.MAX_TRAIN_ROWS = args.max_train_rows
    con = connect(args.db, read_only=True)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
              for t in ("customers", "orders", "surveys", "followups")}

    start = time.perf_counter()
    model = churn.train(con, Settings())
    train_total = time.perf_counter() - start
    start = time.perf_counter()
    result = churn.apply(con, Settings(), model, "zh")  # scan at as_of + predict + reasons
    rescore = time.perf_counter() - start
    total = train_total + rescore
    con.close()

    q = result.quality
    seconds = q.get("seconds", {})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    report = {
        "benchmark": "churn warning: features at 3 dates, HGB vs LogReg calibrated, final fit, scoring + reasons",
        "database": {"path": str(args.db), **counts},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_1min_after": os.getloadavg()[0]},
        "method": result.method,
        "model": result.model_name,
        "seconds": {
            "total": round(total, 2),
            "features": round(seconds.get("features", float("nan")), 2),
            "train": round(seconds.get("train", float("nan")), 2),
            "score_and_reasons": round(seconds.get("score", float("nan")), 2),
            "train_total": round(train_total, 2),
            "rescore_after_plan_save": round(rescore, 2),
        },
        "rescore_vs_retrain": round(rescore / train_total, 3),
        "target_train_seconds": TARGET_TRAIN_SECONDS,
        "train_within_target": seconds.get("train", float("inf")) <= TARGET_TRAIN_SECONDS,
        "training_rows": {"population": q.get("n_train"), "used": q.get("n_fit"),
                          "subsampled": q.get("subsampled"), "cap": args.max_train_rows},
        "n_eval": q.get("n_eval"),
        "quality": {"auc": q.get("auc"), "compare": q.get("compare"),
                    "precision_top10": q.get("precision_top10"), "base_rate": q.get("base_rate")},
        "scored_customers": int(result.scores["churn_risk"].notna().sum()),
        "peak_memory_mb": round(peak_mb, 1),
        "note": result.note,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
