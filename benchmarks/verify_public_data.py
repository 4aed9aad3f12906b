"""Issue 4 "Done when": the per-customer CSV of the CLI against an independent computation of
METRICS.md on a real public transaction data set (CDNOW, 23,570 customers, 69,659 transactions,
1997-01-01 … 1998-06-30).

End to end, as a user would:

1. ``pip download --no-deps lifetimes==0.11.3`` into ``benchmarks/out/public_data/`` and read
   ``lifetimes/datasets/CDNOW_master.txt`` out of the wheel (``zipfile``; lifetimes itself is
   never installed).
2. Write it as an ordinary export — ``cdnow_orders.csv`` (order_id, customer_id, order_date as
   ``1997/1/1``, amount, quantity) and ``cdnow_customers.csv`` — and load both with
   ``python -m core import`` into a fresh DuckDB file (subprocesses; exit codes and read / loaded /
   rejected counts checked).
3. ``python -m core customers --db … --as-of 1998-06-30 --out benchmarks/out/cdnow_customers.csv``.
4. Recompute the table in pandas from the raw CDNOW text (never from the database), written
   from METRICS.md: recency, frequency, monetary, R/F/M scores (NTILE(5) over ranks, ties never
   split, R reversed), eight RFM segments (mean), ABC tiers, lifecycle stages.
5. Compare column by column (integers and categories exactly, money within 1e-6 relative), plus
   a few sensitivity variants that show how each reading of METRICS.md moves the numbers.
6. NPS: CDNOW has no survey answers, so 21 hand-made NPS answers (one out of range) are imported
   with ``python -m core import --kind surveys`` and checked against hand-computed NPS and margin
   (``core.metrics.satisfaction.overall``) and against ``last_score_nps`` in a second CLI run.

Writes ``benchmarks/results/public_data_check.json``.

    python benchmarks/verify_public_data.py
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "benchmarks" / "out"
WORK = OUT / "public_data"
DB = WORK / "cdnow.duckdb"
CLI_CSV = OUT / "cdnow_customers.csv"
CLI_CSV_SURVEYS = WORK / "cdnow_customers_with_surveys.csv"
RESULTS = ROOT / "benchmarks" / "results" / "public_data_check.json"

PACKAGE = "lifetimes==0.11.3"
MEMBER = "lifetimes/datasets/CDNOW_master.txt"
AS_OF = date(1998, 6, 30)  # the last day of the CDNOW data

# METRICS.md defaults
BUCKETS = 5
ABC_A, ABC_B = 0.70, 0.90
NEW_DAYS, RISK_DAYS, CHURN_DAYS, CYCLE_FACTOR, LOYAL_ORDERS = 90, 90, 180, 2.0, 5

SEGMENT_NAMES = {  # (R high, F high, M high) -> code (the METRICS.md table, English names as codes)
    (True, True, True): "champions", (True, False, True): "important_develop",
    (False, True, True): "important_keep", (False, False, True): "important_win_back",
    (True, True, False): "general_value", (True, False, False): "general_develop",
    (False, True, False): "general_keep", (False, False, False): "general_win_back",
}
INTEGER_COLUMNS = ("recency_days", "frequency", "r_score", "f_score", "m_score")
MONEY_COLUMNS = ("monetary",)
CATEGORY_COLUMNS = ("rfm_segment", "abc_tier", "lifecycle_stage")


# ---------------------------------------------------------------------------------------------
# 1. the data set

def download_cdnow() -> tuple[str, float, str]:
    """The CDNOW text out of the lifetimes wheel (downloaded once into benchmarks/out/)."""
    WORK.mkdir(parents=True, exist_ok=True)
    wheels = WORK / "wheels"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
         "-q", PACKAGE, "-d", str(wheels)],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"pip download {PACKAGE} failed:\n{proc.stdout}\n{proc.stderr}")
    seconds = round(time.perf_counter() - started, 2)
    wheel = next(wheels.glob("[Ll]ifetimes-0.11.3-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        text = z.read(MEMBER).decode("ascii")
    return text, seconds, wheel.name


def parse_cdnow(text: str) -> pd.DataFrame:
    """One row per transaction line: customer_id (text, zeros kept), day, cds, cents, line number."""
    lines = text.splitlines()
    header = lines[0].split()
    if header != ["customer_id", "date", "number_of_cds", "dollar_value"]:
        raise SystemExit(f"unexpected CDNOW header: {header}")
    rows = [line.split() for line in lines[1:] if line.strip()]
    tx = pd.DataFrame(rows, columns=["customer_id", "yyyymmdd", "cds", "dollars"])
    tx["line"] = np.arange(2, len(tx) + 2)  # line number in the file (1 = header)
    tx["day"] = pd.to_datetime(tx["yyyymmdd"], format="%Y%m%d")
    # money as integer cents: exact sums and exact ties, no float drift
    cents = tx["dollars"].str.split(".", expand=True)
    tx["cents"] = cents[0].astype(np.int64) * 100 + cents[1].str.ljust(2, "0").astype(np.int64)
    return tx


# ---------------------------------------------------------------------------------------------
# 2./3. Kehu, through its command line

def write_export(tx: pd.DataFrame) -> tuple[Path, Path]:
    """The CDNOW lines as a shop export: one order per line, dates 1997/1/1, ids with zeros."""
    orders = pd.DataFrame({
        "order_id": tx["customer_id"] + "-" + tx["yyyymmdd"] + "-" + tx["line"].astype(str),
        "customer_id": tx["customer_id"],
        "order_date": [f"{d.year}/{d.month}/{d.day}" for d in tx["day"]],
        "amount": tx["dollars"],
        "quantity": tx["cds"],  # not a Kehu field: kept as an extra column
    })
    customers = pd.DataFrame({"customer_id": sorted(tx["customer_id"].unique())})
    customers["name"] = "CDNOW customer " + customers["customer_id"]
    orders_path, customers_path = WORK / "cdnow_orders.csv", WORK / "cdnow_customers_file.csv"
    orders.to_csv(orders_path, index=False)
    customers.to_csv(customers_path, index=False)
    return customers_path, orders_path


SUMMARY = re.compile(r"read ([\d,]+), loaded ([\d,]+), rejected ([\d,]+)")


def kehu(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True)
    seconds = round(time.perf_counter() - started, 2)
    if proc.returncode != 0:
        raise SystemExit(f"python -m core {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc, seconds


def kehu_import(kind: str, path: Path, *extra: str) -> dict:
    proc, seconds = kehu("import", "--db", str(DB), "--kind", kind, *extra, str(path))
    match = SUMMARY.search(proc.stdout)
    if not match:
        raise SystemExit(f"no import summary in: {proc.stdout}")
    read, loaded, rejected = (int(g.replace(",", "")) for g in match.groups())
    return {"file": path.name, "exit_code": proc.returncode, "read": read, "loaded": loaded,
            "rejected": rejected, "seconds": seconds, "output": proc.stdout.strip().splitlines()}


def kehu_customers(out: Path) -> tuple[pd.DataFrame, float, list[str]]:
    proc, seconds = kehu("customers", "--db", str(DB), "--as-of", AS_OF.isoformat(), "--out", str(out))
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"customer_id": str})
    return table, seconds, proc.stdout.strip().splitlines()


# ---------------------------------------------------------------------------------------------
# 4. the independent computation (METRICS.md, from the raw file)

def ntile_of_position(position: np.ndarray, n: int, buckets: int = BUCKETS) -> np.ndarray:
    """SQL NTILE(buckets) of the row at 1-based ``position`` among ``n`` rows: the first n % buckets
    buckets hold one row more than the others."""
    q, r = divmod(n, buckets)
    starts = np.array([k * q + min(k, r) for k in range(buckets)])  # 0-based first row of bucket k+1
    return np.searchsorted(starts, position - 1, side="right")


def floor_bucket(position: np.ndarray, n: int, buckets: int = BUCKETS) -> np.ndarray:
    """The other common quintile formula, 1 + floor((position − 1) · buckets / n) (sensitivity only)."""
    return 1 + np.floor((position - 1) * buckets / n).astype(int)


def scores(values: pd.Series, ascending: bool, bucket=ntile_of_position) -> pd.Series:
    """Rank first (ties share the lowest rank, like SQL RANK()), then bucket the rank position."""
    rank = values.rank(method="min", ascending=ascending).to_numpy()
    return pd.Series(bucket(rank, len(values)), index=values.index)


def median_gap(days: pd.Series, distinct_days: bool) -> float:
    d = np.sort(days.drop_duplicates().to_numpy() if distinct_days else days.to_numpy())
    gaps = np.diff(d).astype("timedelta64[D]").astype(int)
    return float(np.median(gaps)) if gaps.size else math.nan


def independent(tx: pd.DataFrame, as_of: date, *, distinct_day_gaps: bool = False,
                bucket=ntile_of_position, r_reverse_after: bool = False) -> pd.DataFrame:
    """The per-customer table from METRICS.md. Keyword arguments pick alternative readings of the
    text for the sensitivity section; the defaults are the reading used for the verdict."""
    ts = pd.Timestamp(as_of)
    t = tx[tx["day"] <= ts]
    counted = t[t["cents"] > 0]  # every CDNOW line is its own order_id; an order counts when net > 0
    g = counted.groupby("customer_id")
    out = pd.DataFrame(index=pd.Index(sorted(tx["customer_id"].unique()), name="customer_id"))
    out["first_day"] = g["day"].min()
    out["last_day"] = g["day"].max()
    out["frequency"] = g.size()
    out["frequency"] = out["frequency"].fillna(0).astype(int)
    out["monetary"] = t.groupby("customer_id")["cents"].sum().reindex(out.index, fill_value=0) / 100
    out["recency_days"] = (ts - out["last_day"]).dt.days
    out["tenure_days"] = (ts - out["first_day"]).dt.days
    out["median_gap_days"] = g["day"].apply(lambda d: median_gap(d, distinct_day_gaps))

    scored = out["recency_days"].notna()
    sc = out[scored]
    if r_reverse_after:  # rank recency ascending, bucket, then 6 − bucket
        out.loc[scored, "r_score"] = BUCKETS + 1 - scores(sc["recency_days"], True, bucket)
    else:  # NTILE(5) OVER (ORDER BY recency DESC): the most recent are the last rows → 5
        out.loc[scored, "r_score"] = scores(sc["recency_days"], False, bucket)
    out.loc[scored, "f_score"] = scores(sc["frequency"], True, bucket)
    out.loc[scored, "m_score"] = scores(sc["monetary"], True, bucket)

    r_mean, f_mean, m_mean = sc["recency_days"].mean(), sc["frequency"].mean(), sc["monetary"].mean()
    keys = zip(sc["recency_days"] < r_mean, sc["frequency"] > f_mean, sc["monetary"] > m_mean, strict=True)
    out.loc[scored, "rfm_segment"] = [SEGMENT_NAMES[k] for k in keys]

    # ABC: M descending (equal M: customer id), tier by the share *before* the customer
    ranked = sc.reset_index().sort_values(["monetary", "customer_id"], ascending=[False, True])
    before = (ranked["monetary"].cumsum() - ranked["monetary"]) / ranked["monetary"].sum()
    tiers = np.where(before < ABC_A, "A", np.where(before < ABC_B, "B", "C"))
    out.loc[ranked["customer_id"].to_numpy(), "abc_tier"] = tiers

    r = out["recency_days"]
    cycle = (out["frequency"] >= 3) & (r > CYCLE_FACTOR * out["median_gap_days"])
    out["lifecycle_stage"] = np.select(
        [~scored, r > CHURN_DAYS, (r > RISK_DAYS) | cycle, out["tenure_days"] <= NEW_DAYS,
         (out["frequency"] >= LOYAL_ORDERS) | (out["abc_tier"] == "A")],
        ["potential", "churned", "at_risk", "new", "loyal"], default="active")
    out.attrs["means"] = {"recency_days": r_mean, "frequency": f_mean, "monetary": m_mean}
    out.attrs["abc_boundaries"] = abc_boundaries(ranked, before)
    return out.reset_index()


def abc_boundaries(ranked: pd.DataFrame, before: pd.Series) -> list[dict]:
    """The customers crossing 70 % and 90 %, and whether an M tie straddles the cut (then the
    tie-break by customer id decides a tier, which METRICS.md does not specify)."""
    found = []
    m = ranked["monetary"].to_numpy()
    b = before.to_numpy()
    after = b + m / ranked["monetary"].sum()
    for cut in (ABC_A, ABC_B):
        i = int(np.flatnonzero((b < cut) & (after >= cut))[0])
        tied = np.flatnonzero(m == m[i])
        found.append({"cut": cut, "crossing_customer": ranked["customer_id"].iloc[i], "monetary": float(m[i]),
                      "share_before": round(float(b[i]), 6), "share_after": round(float(after[i]), 6),
                      "customers_with_same_monetary": int(tied.size),
                      "of_them_before_cut": int((b[tied] < cut).sum()),
                      "tie_straddles_cut": bool(tied.size > 1 and (b[tied] < cut).any() and (b[tied] >= cut).any()
                                                and not ((b[tied] < cut).all()))})
    return found


# ---------------------------------------------------------------------------------------------
# 5. comparison

def compare(cli: pd.DataFrame, ref: pd.DataFrame, columns=None) -> tuple[dict, pd.DataFrame]:
    """Per column: customers compared and mismatches; the merged frame for examples."""
    columns = columns or (*INTEGER_COLUMNS, *MONEY_COLUMNS, *CATEGORY_COLUMNS)
    merged = cli.merge(ref, on="customer_id", how="outer", suffixes=("_cli", "_ref"), indicator=True)
    both = merged["_merge"] == "both"
    result = {"customers_only_in_cli": int((merged["_merge"] == "left_only").sum()),
              "customers_only_in_reference": int((merged["_merge"] == "right_only").sum()),
              "columns": {}}
    for col in columns:
        a, b = merged.loc[both, f"{col}_cli"], merged.loc[both, f"{col}_ref"]
        if col in CATEGORY_COLUMNS:
            same = (a.isna() & b.isna()) | (a.astype(object) == b.astype(object))
            rule = "exact"
        else:
            x, y = pd.to_numeric(a).to_numpy(float), pd.to_numeric(b).to_numpy(float)
            if col in MONEY_COLUMNS:
                same = np.isclose(x, y, rtol=1e-6, atol=0) | (np.isnan(x) & np.isnan(y))
                rule = "1e-6 relative"
            else:
                same = (x == y) | (np.isnan(x) & np.isnan(y))
                rule = "exact"
            same = pd.Series(same, index=a.index)
        merged.loc[both, f"{col}_same"] = same
        result["columns"][col] = {"rule": rule, "customers_compared": int(both.sum()),
                                  "with_value": int((a.notna() | b.notna()).sum()),
                                  "mismatches": int((~same).sum())}
    return result, merged


def distribution(values: pd.Series) -> dict:
    def label(v: object) -> str:
        if pd.isna(v):
            return "(none)"
        return str(int(v)) if isinstance(v, float | int | np.integer | np.floating) else str(v)

    counts = values.map(label, na_action=None).value_counts()
    return {k: int(counts[k]) for k in sorted(counts.index)}


def example_rows(merged: pd.DataFrame, col: str, tx: pd.DataFrame, limit: int = 3) -> list[dict]:
    bad = merged[merged.get(f"{col}_same", True) == False]  # noqa: E712 (object column)
    rows = []
    for _, row in bad.head(limit).iterrows():
        cid = row["customer_id"]
        days = tx.loc[tx["customer_id"] == cid, ["yyyymmdd", "dollars"]].values.tolist()
        rows.append({"customer_id": cid, "cli": str(row[f"{col}_cli"]), "reference": str(row[f"{col}_ref"]),
                     "transactions": days[:12]})
    return rows


def quintile_example() -> dict:
    """Seven distinct values: NTILE(5) (METRICS.md) gives buckets of 2, 2, 1, 1, 1; Kehu's
    ``rfm.bucket_scores`` uses 1 + floor((rank − 1)·5/n). They differ whenever n % 5 ≥ 2 and a
    rank group starts on the position where the two rules disagree (none does on CDNOW)."""
    from core.metrics import rfm

    values = pd.Series(range(1, 8), dtype=float)
    kehu_scores = [int(v) for v in rfm.bucket_scores(values, BUCKETS)]
    ntile = [int(v) for v in scores(values, True)]
    return {"values": list(range(1, 8)), "ntile_5_over_ranks": ntile, "kehu_bucket_scores": kehu_scores,
            "same": kehu_scores == ntile}


# ---------------------------------------------------------------------------------------------
# 6. NPS on a hand-made survey file (CDNOW has none)

# 21 answers on the NPS scale for customers 00001…00021, all in June 1998 (≤ as_of):
#   promoters (9–10): 10 answers  → code +1
#   passives  (7–8):   6 answers  → code  0
#   detractors (0–6):  4 answers  → code −1
#   one answer of 11 (outside 0–10) → rejected at import, so n = 20
# NPS = (10 − 4) / 20 × 100 = 30.0
# margin: mean code 0.3; Σ(code − 0.3)² = 10·0.49 + 6·0.09 + 4·1.69 = 4.9 + 0.54 + 6.76 = 12.2
#   sample sd (n − 1) = √(12.2 / 19) = 0.801315; SE = 0.801315 / √20 = 0.179179;
#   margin = 1.96 × 0.179179 × 100 = 35.119 (population sd, ÷ n, would give 34.231)
SURVEY_SCORES = [10, 9, 9, 10, 9, 10, 9, 9, 10, 9,  # promoters
                 7, 8, 8, 7, 8, 7,                  # passives
                 6, 0, 3, 5,                        # detractors
                 11]                                # out of range → rejected
EXPECTED_NPS = 30.0
EXPECTED_MARGIN = 35.119
EXPECTED_MARGIN_POPULATION_SD = 34.231


def write_surveys() -> Path:
    rows = [{"response_id": f"R{i + 1:03d}", "customer_id": f"{i + 1:05d}",
             "survey_date": f"1998-06-{i + 1:02d}", "nps_score": score,
             "comment": "hand-made answer for the verification script"}
            for i, score in enumerate(SURVEY_SCORES)]
    path = WORK / "cdnow_nps_survey.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def check_surveys(before_cli: pd.DataFrame) -> dict:
    from core.db import connect
    from core.metrics import satisfaction
    from core.settings import Settings

    imported = kehu_import("surveys", write_surveys(), "--scale", "nps")
    con = connect(DB, read_only=True)
    try:
        summary = satisfaction.overall(con, Settings(as_of=AS_OF))
    finally:
        con.close()
    after_cli, seconds, _ = kehu_customers(CLI_CSV_SURVEYS)
    expected_last = {f"{i + 1:05d}": s for i, s in enumerate(SURVEY_SCORES) if s <= 10}
    got = after_cli.set_index("customer_id")["last_score_nps"]
    last_ok = all(got.get(cid) == s for cid, s in expected_last.items())
    others_blank = bool(got.drop(list(expected_last)).isna().all())
    unchanged, _ = compare(before_cli, after_cli)  # surveys must not move R, F, M, tiers or stages
    stable = {col: c["mismatches"] for col, c in unchanged["columns"].items()}
    nps_ok = summary["nps_n"] == 20 and abs(summary["nps"] - EXPECTED_NPS) < 1e-9
    margin_ok = abs(summary["nps_margin"] - EXPECTED_MARGIN) < 5e-4
    return {
        "note": "CDNOW has no survey answers, so NPS cannot be checked on it. Substitute: 21 hand-made "
                "NPS answers (10 promoters, 6 passives, 4 detractors, one score 11 outside the scale) for "
                "CDNOW customers 00001–00021, imported with `python -m core import --kind surveys --scale nps`.",
        "import": imported,
        "expected": {"nps_n": 20, "nps": EXPECTED_NPS, "nps_margin_sample_sd": EXPECTED_MARGIN,
                     "nps_margin_population_sd": EXPECTED_MARGIN_POPULATION_SD, "rejected": 1},
        "kehu_overall": {k: summary[k] for k in ("nps_n", "promoters", "passives", "detractors", "nps",
                                                  "nps_margin", "responses", "small_sample")},
        "nps_matches": bool(nps_ok),
        "margin_matches_sample_sd": bool(margin_ok),
        "cli_rerun_seconds": seconds,
        "cli_last_score_nps_matches": bool(last_ok and others_blank),
        "cli_rfm_columns_changed_by_surveys": stable,
        "ok": bool(nps_ok and margin_ok and imported["rejected"] == 1 and imported["loaded"] == 20
                   and last_ok and others_blank and not any(stable.values())),
    }


# ---------------------------------------------------------------------------------------------

def main() -> None:
    report: dict = {"check": "issue 4 Done-when: per-customer CSV of `python -m core customers` vs an "
                             "independent pandas computation of METRICS.md on a real public data set",
                    "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    text, download_s, wheel = download_cdnow()
    tx = parse_cdnow(text)
    report["data_set"] = {
        "name": "CDNOW master (Fader & Hardie): CD purchases of the 1997-Q1 cohort, 1997-01-01 … 1998-06-30",
        "source": f"PyPI {PACKAGE} wheel {wheel}, member {MEMBER} (read with zipfile, not installed)",
        "download_seconds": download_s,
        "transactions": len(tx), "customers": int(tx["customer_id"].nunique()),
        "first_date": tx["day"].min().date().isoformat(), "last_date": tx["day"].max().date().isoformat(),
        "zero_amount_transactions": int((tx["cents"] == 0).sum()),
        "customers_with_only_zero_amount": int((tx.groupby("customer_id")["cents"].max() == 0).sum()),
        "total_dollars": round(int(tx["cents"].sum()) / 100, 2),
        "as_of": AS_OF.isoformat(),
    }

    if DB.exists():
        DB.unlink()
    for wal in WORK.glob("cdnow.duckdb.*"):
        wal.unlink()
    customers_path, orders_path = write_export(tx)
    report["import"] = {"db": str(DB.relative_to(ROOT)),
                        "customers": kehu_import("customers", customers_path),
                        "orders": kehu_import("orders", orders_path)}
    con = duckdb.connect(str(DB), read_only=True)
    report["import"]["database_rows"] = {
        "customers": con.execute("SELECT count(*) FROM customers").fetchall()[0][0],
        "orders": con.execute("SELECT count(*) FROM orders").fetchall()[0][0],
        "orders_with_zero_amount": con.execute("SELECT count(*) FROM orders WHERE amount = 0").fetchall()[0][0],
        "ids_with_leading_zero": con.execute(
            "SELECT count(*) FROM customers WHERE customer_id LIKE '0%'").fetchall()[0][0],
        "total_amount": float(con.execute("SELECT sum(amount) FROM orders").fetchall()[0][0]),
    }
    con.close()

    cli, cli_s, cli_out = kehu_customers(CLI_CSV)
    report["cli"] = {"command": f"python -m core customers --db {DB.relative_to(ROOT)} --as-of {AS_OF} "
                                f"--out {CLI_CSV.relative_to(ROOT)}",
                     "seconds": cli_s, "rows": len(cli), "output": cli_out}

    started = time.perf_counter()
    ref = independent(tx, AS_OF)
    ref_s = round(time.perf_counter() - started, 2)
    result, merged = compare(cli, ref)
    mismatches = sum(c["mismatches"] for c in result["columns"].values())
    report["independent_computation"] = {
        "seconds": ref_s,
        "reading_of_metrics_md": [
            "orders = CDNOW lines (each its own order_id) with amount > 0 and date <= as_of; $0 lines "
            "are imported but never count (recency, frequency, first/last order); monetary sums all lines",
            "R/F/M scores: rank with ties sharing the lowest rank (RANK()), then the NTILE(5) bucket of "
            "that rank position (first n % 5 buckets one larger); R = NTILE(5) OVER (ORDER BY recency DESC)",
            "segments: R high = recency < mean, F/M high = value > mean (means over scored customers)",
            "ABC: M descending (ties by customer id), tier by cumulative share before the customer "
            "(< 70 % A, < 90 % B, else C)",
            "stages in METRICS.md order; at_risk cycle rule: >= 3 orders and recency > 2 x median gap "
            "between consecutive orders; orders on the same day give a gap of 0",
        ],
        "means": {k: round(v, 6) for k, v in ref.attrs["means"].items()},
        "abc_boundaries": ref.attrs["abc_boundaries"],
    }
    report["comparison"] = result
    report["distributions"] = {
        col: {"cli": distribution(cli[col]), "reference": distribution(ref[col])}
        for col in ("rfm_segment", "abc_tier", "lifecycle_stage", "r_score", "f_score", "m_score")
    }
    report["mismatch_examples"] = {
        col: example_rows(merged, col, tx) for col, c in result["columns"].items() if c["mismatches"]
    }

    # sensitivity: how other readings of METRICS.md would compare with the CLI
    variants = {
        "median_gap_over_distinct_order_days": dict(distinct_day_gaps=True),
        "quintile_formula_1_plus_floor": dict(bucket=floor_bucket),
        "r_ranked_ascending_then_reversed": dict(r_reverse_after=True),
    }
    report["sensitivity"] = {}
    for name, kwargs in variants.items():
        alt = independent(tx, AS_OF, **kwargs)
        alt_result, _ = compare(cli, alt)
        vs_ref, _ = compare(ref, alt)
        report["sensitivity"][name] = {
            "mismatches_vs_cli": {k: v["mismatches"] for k, v in alt_result["columns"].items() if v["mismatches"]},
            "differences_vs_main_reading": {k: v["mismatches"] for k, v in vs_ref["columns"].items()
                                            if v["mismatches"]},
        }
    report["median_gap_days"] = {
        "cli_vs_distinct_day_gaps": int(
            (~np.isclose(pd.to_numeric(cli.sort_values("customer_id")["median_gap_days"]).to_numpy(float),
                         independent(tx, AS_OF, distinct_day_gaps=True)
                         .sort_values("customer_id")["median_gap_days"].to_numpy(float),
                         equal_nan=True)).sum()),
        "customers_with_two_orders_on_one_day": int(
            tx[tx["cents"] > 0].duplicated(["customer_id", "day"]).groupby(tx["customer_id"]).any().sum()),
    }

    report["quintile_rule_small_example"] = quintile_example()
    report["nps"] = check_surveys(cli)
    report["verdict"] = {
        "rfm_stages_all_equal": mismatches == 0 and not result["customers_only_in_cli"]
        and not result["customers_only_in_reference"],
        "mismatching_cells": mismatches,
        "nps_substitute_ok": report["nps"]["ok"],
        "matches_cli_everywhere_when_median_gap_uses_distinct_order_days": not any(
            report["sensitivity"]["median_gap_over_distinct_order_days"]["mismatches_vs_cli"].values()),
    }
    v = report["verdict"]
    others = {c: m["mismatches"] for c, m in result["columns"].items() if c != "lifecycle_stage" and m["mismatches"]}
    v["summary"] = (
        ("R, F, M, scores, segments and ABC tiers match on all customers; " if not others else
         f"mismatches outside lifecycle_stage: {others}; ")
        + ("lifecycle stages match too." if v["rfm_stages_all_equal"] else
           f"lifecycle stages differ for {result['columns']['lifecycle_stage']['mismatches']} customers, "
           + ("all explained by the median-gap reading (METRICS.md ambiguity, see notes)."
              if v["matches_cli_everywhere_when_median_gap_uses_distinct_order_days"] else "see notes."))
        + (" NPS (substitute survey) matches by hand." if v["nps_substitute_ok"] else " NPS check FAILED."))
    report["notes"] = notes(report, tx, merged)
    report["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(),
                         "python": platform.python_version(), "duckdb": duckdb.__version__,
                         "pandas": pd.__version__, "load_average_1min": round(os.getloadavg()[0], 2)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("comparison", "verdict", "sensitivity")}, indent=2, default=str))


def notes(report: dict, tx: pd.DataFrame, merged: pd.DataFrame) -> list[str]:
    """What the run found, in words (the numbers come from this run)."""
    out = []
    cols = report["comparison"]["columns"]
    ds = report["data_set"]
    sens = report["sensitivity"]
    out.append(f"Import: {report['import']['orders']['loaded']} of {ds['transactions']} order lines and "
               f"{report['import']['customers']['loaded']} customers loaded, 0 rejected; ids keep their "
               "leading zeros (00001) and dates 1997/1/1 parse as year/month/day.")
    out.append(f"$0 lines: {ds['zero_amount_transactions']} CDNOW lines have $0.00. They are imported, but per "
               "METRICS.md 'Orders that count' (net amount > 0) they never count, on both sides; "
               f"{ds['customers_with_only_zero_amount']} customers have only $0 lines and are 'potential' with "
               "no scores, segment or tier.")
    for name in ("recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "rfm_segment",
                 "abc_tier"):
        if cols[name]["mismatches"]:
            out.append(f"{name}: {cols[name]['mismatches']} mismatches — see mismatch_examples.")
    stage_mm = cols["lifecycle_stage"]["mismatches"]
    if stage_mm:
        gap_left = sens["median_gap_over_distinct_order_days"]["mismatches_vs_cli"].get("lifecycle_stage", 0)
        bad = merged[merged["lifecycle_stage_same"] == False]  # noqa: E712 (object column)
        moves = bad.groupby(["lifecycle_stage_cli", "lifecycle_stage_ref"]).size()
        moves_text = ", ".join(f"{n} CLI {a} / reference {b}" for (a, b), n in moves.items())
        ex = "00608" if "00608" in set(bad["customer_id"]) else bad["customer_id"].iloc[0]
        days = tx.loc[(tx["customer_id"] == ex) & (tx["cents"] > 0), "day"]
        rec = (pd.Timestamp(AS_OF) - days.max()).days
        lit, dist = median_gap(days, False), median_gap(days, True)
        row = bad.set_index("customer_id").loc[ex]
        out.append(
            f"lifecycle_stage: {stage_mm} mismatches ({moves_text}), all from one rule: the at_risk cycle "
            "rule's 'median gap between orders'. METRICS.md says gap between orders; Kehu "
            "(core/metrics/base.py FACTS_SQL, per_customer) takes gaps between distinct order *days* (two "
            "orders on one day = one purchase occasion, gap never 0), which METRICS.md does not say. With "
            f"distinct-day gaps the reference matches the CLI on every customer ({gap_left} mismatches left). "
            f"Example customer {ex}: {len(days)} orders on "
            f"{', '.join(sorted({d.date().isoformat() for d in days}))}, recency {rec} days; median gap "
            f"between orders = {lit:g} days (2x = {2 * lit:g} < {rec} → at_risk), between distinct days = "
            f"{dist:g} (2x = {2 * dist:g} ≥ {rec} → not at risk, {len(days)} orders → loyal). CLI says "
            f"{row['lifecycle_stage_cli']}, the literal text {row['lifecycle_stage_ref']}. Against the "
            "letter of METRICS.md the CLI is wrong for these customers; the owner should either write "
            "'between distinct order days' into METRICS.md (the code's documented intent, and a gap of 0 "
            "would flag anyone with a same-day double order) or keep zero gaps in FACTS_SQL.")
    b90 = [b for b in report["independent_computation"]["abc_boundaries"] if b["tie_straddles_cut"]]
    for b in b90:
        out.append(
            f"ABC: at the {b['cut']:.0%} cut, {b['customers_with_same_monetary']} customers have the same M "
            f"({b['monetary']}); {b['of_them_before_cut']} start before the cut and are "
            f"{'A' if b['cut'] == ABC_A else 'B'}, the rest the next tier. Both sides break the tie by "
            "customer id, so they agree, but METRICS.md does not say how equal M is ordered at a cut "
            "(unlike scores, where 'equal behaviour never splits'). Worth one sentence in METRICS.md.")
    r_alt = sens["r_ranked_ascending_then_reversed"]["differences_vs_main_reading"].get("r_score", 0)
    out.append(
        "R score reading: METRICS.md 'R reversed' + 'rank first, then bucket' was read as "
        "NTILE(5) OVER (ORDER BY recency DESC) with RANK() ties (the CLI agrees on every customer). "
        f"Ranking recency ascending, bucketing, then reversing (6 − score) would change r_score for {r_alt} "
        "customers, because ties take their lowest rank in the order used; METRICS.md could name the order.")
    q = report["quintile_rule_small_example"]
    if not q["same"]:
        out.append(
            "Quintile rule (latent, no effect on CDNOW): Kehu's rfm.scores_from_ranks uses "
            "1 + floor((rank − 1)·5/n), which is not NTILE(5) when n % 5 ≥ 2: for the values 1..7 NTILE(5) "
            f"gives {q['ntile_5_over_ranks']}, Kehu {q['kehu_bucket_scores']}. On CDNOW (n = "
            f"{cols['r_score']['with_value']}, n % 5 = {cols['r_score']['with_value'] % 5}) no rank group "
            "starts on a disagreeing position, so all scores match. Either METRICS.md should state the "
            "formula or the code should use NTILE bucket sizes.")
    nps = report["nps"]
    out.append(
        "NPS: CDNOW has no survey answers, so NPS cannot be verified on it. Substitute: 21 hand-made NPS "
        f"answers imported with the CLI (read {nps['import']['read']}, loaded {nps['import']['loaded']}, "
        f"rejected {nps['import']['rejected']} = the score 11). satisfaction.overall: NPS "
        f"{nps['kehu_overall']['nps']:g} (hand: {EXPECTED_NPS:g}), margin {nps['kehu_overall']['nps_margin']:.3f} "
        f"(hand, sample sd: {EXPECTED_MARGIN}; population sd would give {EXPECTED_MARGIN_POPULATION_SD} — "
        "METRICS.md says only 'sd'). The re-run CLI CSV has last_score_nps equal to each customer's answer "
        f"({'yes' if nps['cli_last_score_nps_matches'] else 'NO'}) and R/F/M/tier/stage unchanged "
        f"({'yes' if not any(nps['cli_rfm_columns_changed_by_surveys'].values()) else 'NO'}).")
    return out


if __name__ == "__main__":
    main()
