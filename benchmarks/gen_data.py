"""Benchmark data: N customers, M orders, K surveys with a fixed seed, generated inside DuckDB.

Every random value is a hash of (row number, seed, purpose), so the data are identical on every
run and thread count. Shape, per customer: an activity weight (a few heavy buyers, many light
ones, ~8 % never order), a start day and an active span (so many customers churn), amounts
skewed like real baskets, ~2 % cancelled, ~1.5 % refunded, ~1 % negative return rows, and
NPS/CSAT answers plus complaints. Default: 1M customers / 10M orders / 1M surveys.

    python benchmarks/gen_data.py [--customers 1000000] [--orders 10000000] [--surveys 1000000]
                                  [--seed 42] [--out benchmarks/out/bench.duckdb]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.db import connect  # noqa: E402

DEFAULT_OUT = ROOT / "benchmarks" / "out" / "bench.duckdb"
START = "2022-01-01"
DAYS = 4 * 365  # 2022-01-01 … 2025-12-31

# u(i, k) = a uniform number in [0, 1) from row i, the seed and a purpose number k.
U = "((hash({i}, $seed, {k}) % 1000000007) / 1000000007.0)"


def u(i: str, k: int) -> str:
    return U.format(i=i, k=k)


CUSTOMERS_SQL = f"""
INSERT INTO customers (customer_id, name, region, city, channel, owner, team, signup_date)
SELECT
    'C' || lpad(i::VARCHAR, 8, '0'),
    'Customer ' || i,
    ['华东', '华南', '华北', '华中', '西南'][1 + floor({u('i', 1)} * 5)::INT],
    NULL,
    ['线上商城', '门店', '电话销售', '企业微信', '代理商'][1 + floor({u('i', 2)} * 5)::INT],
    'owner' || lpad(floor({u('i', 3)} * 60)::INT::VARCHAR, 2, '0'),
    'team' || floor({u('i', 3)} * 6)::INT,
    DATE '{START}' + floor({u('i', 4)} * {DAYS})::INT
FROM range($customers) t(i)
"""

# Which customer places order j: a skewed pick over the "buyers" (92 % of customers), so a few
# customers order very often and most order a handful of times. The order day falls inside the
# customer's own active span [start, start + span], clipped to the data period.
ORDERS_SQL = f"""
INSERT INTO orders (order_id, customer_id, order_date, amount, status, product, category, channel)
WITH picks AS (
    SELECT j, floor(pow({u('j', 11)}, 2.2) * $buyers)::BIGINT AS ci
    FROM range($orders) t(j)
)
SELECT
    'O' || lpad(j::VARCHAR, 9, '0'),
    'C' || lpad(ci::VARCHAR, 8, '0'),
    DATE '{START}' + floor({u('ci', 12)} * {DAYS} * 0.9)::INT
        + floor({u('j', 13)} * (30 + {u('ci', 14)} * ({DAYS} - 31 - floor({u('ci', 12)} * {DAYS} * 0.9))))::INT,
    CASE WHEN {u('j', 15)} < 0.01 THEN -round(5 + {u('j', 16)} * 100, 2)
         ELSE round(10 + pow({u('j', 16)}, 3) * 2000, 2) END::DECIMAL(18, 2),
    CASE WHEN {u('j', 17)} < 0.02 THEN 'cancelled'
         WHEN {u('j', 17)} < 0.035 THEN 'refunded' ELSE 'paid' END,
    'P' || floor({u('j', 18)} * 200)::INT,
    ['办公用品', '数码配件', '家居生活', '食品饮料', '礼品定制'][1 + floor({u('j', 19)} * 5)::INT],
    NULL
FROM picks
"""

SURVEYS_SQL = f"""
INSERT INTO surveys (survey_id, customer_id, survey_date, scale, score, kind, comment)
WITH picks AS (
    SELECT k, floor(pow({u('k', 21)}, 2.2) * $buyers)::BIGINT AS ci FROM range($surveys) t(k)
)
SELECT
    'S' || lpad(k::VARCHAR, 9, '0'),
    'C' || lpad(ci::VARCHAR, 8, '0'),
    DATE '{START}' + floor({u('k', 22)} * {DAYS})::INT,
    CASE WHEN {u('k', 23)} < 0.5 THEN 'nps' WHEN {u('k', 23)} < 0.9 THEN 'csat' END,
    CASE WHEN {u('k', 23)} < 0.5 THEN floor({u('k', 24)} * 11)::INT
         WHEN {u('k', 23)} < 0.9 THEN 1 + floor({u('k', 24)} * 5)::INT END,
    CASE WHEN {u('k', 23)} < 0.9 THEN 'survey' ELSE 'complaint' END,
    NULL
FROM picks
"""

FOLLOWUPS_SQL = f"""
INSERT INTO followups (customer_id, owner, action, due_date, status, source)
SELECT
    'C' || lpad(floor({u('f', 31)} * $customers)::BIGINT::VARCHAR, 8, '0'),
    'owner' || lpad(floor({u('f', 32)} * 60)::INT::VARCHAR, 2, '0'),
    'call',
    DATE '{START}' + floor({u('f', 33)} * {DAYS})::INT,
    CASE WHEN {u('f', 34)} < 0.7 THEN 'done' ELSE 'planned' END,
    'manual'
FROM range($followups) t(f)
"""


def generate(
    out: Path, customers: int, orders: int, surveys: int, seed: int = 42, followups: int | None = None
) -> dict[str, float]:
    """Write a fresh benchmark database at ``out``; returns row counts and seconds taken."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (out, out.with_name(out.name + ".wal")):
        leftover.unlink(missing_ok=True)
    followups = customers // 10 if followups is None else followups
    params = {
        "seed": seed, "customers": customers, "buyers": max(1, int(customers * 0.92)),
        "orders": orders, "surveys": surveys, "followups": followups,
    }
    con = connect(out)
    started = time.perf_counter()
    for sql in (CUSTOMERS_SQL, ORDERS_SQL, SURVEYS_SQL, FOLLOWUPS_SQL):
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        con.execute(sql, used)
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    con.close()
    return {"customers": customers, "orders": orders, "surveys": surveys, "followups": followups,
            "seed": seed, "seconds": round(seconds, 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--surveys", type=int, default=None, help="default: = customers")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    surveys = args.customers if args.surveys is None else args.surveys
    print(json.dumps(generate(args.out, args.customers, args.orders, surveys, args.seed)))


if __name__ == "__main__":
    main()
