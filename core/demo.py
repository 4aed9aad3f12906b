"""A seeded, realistic demo company, so a first start shows a living dashboard.

About 2,000 customers (Chinese and English names) looked after by twelve account managers in
four teams; three years of orders with seasonality (春节 dip, 618 and 双11 peaks), repeat buyers,
cancellations and refunds; customers who drift away — ordering less and scoring lower before
they stop — so the churn model has something real to learn; NPS and CSAT answers with short
comments in both languages, and complaints. Deterministic for a given ``seed`` and ``end``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from core import auth, db
from core.errors import Conflict
from core.i18n import t

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏建红飞鑫波宇浩凯健俊帆晨琳雪婷倩颖佳欣悦瑶怡梓子涵轩博文昊然思源嘉诚志国海峰春燕")
EN_FIRST = ["James", "Emma", "Oliver", "Sophia", "Liam", "Mia", "Noah", "Ava", "Lucas", "Chloe",
            "Ethan", "Grace", "Henry", "Lily", "Jack", "Zoe", "Leo", "Ella", "Ryan", "Hannah",
            "Daniel", "Amy", "Kevin", "Linda", "David", "Sarah", "Michael", "Anna", "Tom", "Kate"]
EN_LAST = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Evans", "Walker", "Wright", "Green",
           "Hall", "Wood", "Clarke", "Turner", "Hill", "Moore", "Lee", "Wong", "Chan", "Lim", "Tan"]
COMPANY_SUFFIX = ["科技有限公司", "贸易有限公司", "商贸行", "餐饮管理有限公司", "文化传媒有限公司", "电子商务有限公司"]

REGIONS = {  # region: (weight, cities)
    "华东": (0.34, ["上海", "杭州", "南京", "苏州", "宁波"]),
    "华南": (0.22, ["广州", "深圳", "东莞", "厦门"]),
    "华北": (0.18, ["北京", "天津", "石家庄"]),
    "华中": (0.12, ["武汉", "长沙", "郑州"]),
    "西南": (0.14, ["成都", "重庆", "昆明"]),
}
OWNERS = {  # owner: (team, regions served)
    "张伟": ("华东一组", ["华东"]), "李娜": ("华东一组", ["华东"]), "王磊": ("华东一组", ["华东"]),
    "陈静": ("华东二组", ["华东"]), "Kevin Zhou": ("华东二组", ["华东"]),
    "刘洋": ("华南组", ["华南"]), "黄敏": ("华南组", ["华南"]), "Grace Lin": ("华南组", ["华南"]),
    "赵强": ("北方组", ["华北"]), "孙丽": ("北方组", ["华北", "华中"]),
    "周杰": ("西部组", ["西南"]), "吴芳": ("西部组", ["西南", "华中"]),
}
CHANNELS = {"线上商城": 0.38, "门店": 0.22, "电话销售": 0.14, "企业微信": 0.16, "代理商": 0.10}
CATEGORIES = {
    "办公用品": (["打印纸 A4", "中性笔套装", "文件柜", "订书机"], 0.8),
    "数码配件": (["无线鼠标", "机械键盘", "显示器支架", "移动电源"], 1.2),
    "家居生活": (["保温杯", "收纳箱", "香薰套装", "午睡枕"], 0.9),
    "食品饮料": (["精品咖啡豆", "坚果礼盒", "茶叶礼盒", "矿泉水整箱"], 0.7),
    "礼品定制": (["定制台历", "企业礼品卡", "定制帆布袋"], 1.6),
}
# Seasonality by month: 春节 (Jan/Feb) dip, 618 in June, 双11 and year end peaks.
SEASON = np.array([0.85, 0.60, 0.95, 1.00, 1.05, 1.35, 0.95, 0.90, 1.00, 1.05, 1.55, 1.30])

COMMENTS = {
    "promoter": [
        "服务很好，发货快", "质量不错，会继续购买", "客户经理很专业，响应及时", "包装精美，物超所值",
        "一直很满意，推荐给同事了", "Great service, fast delivery", "Quality is excellent, will buy again",
        "Account manager is very helpful",
    ],
    "passive": [
        "整体还可以，价格略高", "物流一般，产品还行", "还行吧，希望有更多优惠", "Okay overall, price a bit high",
        "Delivery was average", "客服回复有点慢",
    ],
    "detractor": [
        "发货太慢，等了一周", "质量有问题，退货麻烦", "客服态度差，没人回复", "价格太贵，不如别家",
        "多次投诉没有解决", "Delivery too slow, waited a week", "Poor quality, refund took forever",
        "Nobody answered my calls", "Too expensive compared to others",
    ],
}
COMPLAINTS = [
    "投诉：发票迟迟未开", "投诉：发错货", "投诉：退款未到账", "投诉：客户经理未按约回访",
    "投诉：产品破损", "Complaint: wrong item delivered", "Complaint: refund not received",
    "Complaint: invoice missing",
]


@dataclass(frozen=True)
class DemoSummary:
    """What was loaded, for the CLI and the first-start message."""

    customers: int
    orders: int
    surveys: int
    followups: int
    start: date
    end: date


def build_demo(
    con: duckdb.DuckDBPyConnection,
    customers: int = 2000,
    seed: int = 42,
    end: date | None = None,
    years: int = 3,
) -> DemoSummary:
    """Generate the demo company and load it in one transaction (replacing nothing)."""
    end = end or date.today() - timedelta(days=1)
    frames = generate(customers=customers, seed=seed, end=end, years=years)
    with db.transaction(con):
        for table in ("customers", "orders", "surveys"):
            import_id = db.next_import_id(con)
            frame = frames[table].assign(import_id=import_id)
            con.register("demo_frame", frame)
            cols = ", ".join(frame.columns)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM demo_frame")  # noqa: S608 - fixed names
            con.unregister("demo_frame")
            con.execute(
                "INSERT INTO imports (import_id, kind, file_name, checksum, mode, encoding, username, "
                "finished_at, rows_read, rows_loaded, rows_rejected, status) "
                "VALUES (?, ?, ?, ?, 'append', 'utf-8', 'demo', current_timestamp, ?, ?, 0, 'done')",
                [import_id, table, f"demo_{table}.csv", f"demo-seed-{seed}", len(frame), len(frame)],
            )
        fu = frames["followups"]
        con.register("demo_frame", fu)
        cols = ", ".join(fu.columns)
        con.execute(f"INSERT INTO followups ({cols}) SELECT {cols} FROM demo_frame")  # noqa: S608
        con.unregister("demo_frame")
        con.execute(
            "INSERT INTO followup_history (followup_id, version, op, changed_by, changed_at, after) "
            "SELECT followup_id, 1, 'create', created_by, created_at, to_json(f) FROM followups f"
        )
        con.register("demo_frame", frames["targets"])
        con.execute("INSERT INTO targets (kpi, month, target, updated_by) "
                    "SELECT kpi, month, target, 'demo' FROM demo_frame")
        con.unregister("demo_frame")
        con.execute(
            "INSERT INTO audit_log (username, action, detail) VALUES ('demo', 'import', ?)",
            [json.dumps({"demo": True, "seed": seed, "customers": customers})],
        )
        db.bump_data_version(con)
    con.execute("CHECKPOINT")
    return DemoSummary(
        customers=len(frames["customers"]), orders=len(frames["orders"]),
        surveys=len(frames["surveys"]), followups=len(frames["followups"]),
        start=end - timedelta(days=365 * years), end=end,
    )


def generate(customers: int, seed: int, end: date, years: int = 3) -> dict[str, pd.DataFrame]:
    """The demo tables as DataFrames (pure: no database), deterministic for seed and end."""
    rng = np.random.default_rng(seed)
    end_ts = pd.Timestamp(end)
    start_ts = end_ts - pd.Timedelta(days=365 * years)
    span = (end_ts - start_ts).days
    cust = _customers(rng, customers, start_ts, span)
    orders, churn_day = _orders(rng, cust, start_ts, end_ts)
    surveys = _surveys(rng, cust, orders, churn_day, end_ts)
    followups = _followups(rng, cust, orders, end_ts)
    return {"customers": cust.drop(columns=["_rate", "_value", "_life", "_mood"]),
            "orders": orders, "surveys": surveys, "followups": followups,
            "targets": _targets(orders, end_ts)}


def _customers(rng: np.random.Generator, n: int, start: pd.Timestamp, span: int) -> pd.DataFrame:
    regions = list(REGIONS)
    region = rng.choice(regions, n, p=[REGIONS[r][0] for r in regions])
    city = [rng.choice(REGIONS[r][1]) for r in region]
    owner = [rng.choice([o for o, (_, rs) in OWNERS.items() if r in rs]) for r in region]
    team = [OWNERS[o][0] for o in owner]
    kind = rng.random(n)
    names, emails = [], []
    for i in range(n):
        if kind[i] < 0.62:
            names.append(rng.choice(SURNAMES) + "".join(rng.choice(GIVEN, rng.integers(1, 3))))
            emails.append(None)
        elif kind[i] < 0.82:
            first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
            names.append(f"{first} {last}")
            emails.append(f"{first.lower()}.{last.lower()}{i % 97}@example.com")
        else:
            city_name = city[i]
            names.append(city_name + "".join(rng.choice(GIVEN, 2)) + rng.choice(COMPANY_SUFFIX))
            emails.append(f"purchase{i}@example.cn")
    phone = ["1" + str(rng.choice([3, 5, 8, 9])) + "".join(map(str, rng.integers(0, 10, 9))) for _ in range(n)]
    # Signups: growing business — more customers joined recently; a few before the window.
    signup_offset = (span * (1 - rng.power(1.3, n))).astype(int)
    signup = start + pd.to_timedelta(span - signup_offset - 30, unit="D")
    channel = rng.choice(list(CHANNELS), n, p=list(CHANNELS.values()))
    return pd.DataFrame({
        "customer_id": [f"C{i + 1:06d}" for i in range(n)],
        "name": names,
        "phone": phone,
        "email": emails,
        "region": region,
        "city": city,
        "channel": channel,
        "owner": owner,
        "team": team,
        "signup_date": signup.date,
        # Latent traits (dropped before loading): order rate per year, order value, lifetime, mood.
        "_rate": rng.gamma(1.6, 4.0, n) + 0.6,
        "_value": np.exp(rng.normal(6.0, 0.75, n)),
        "_life": rng.exponential(520, n),
        "_mood": rng.normal(0.0, 1.0, n),
    })


def _orders(rng: np.random.Generator, cust: pd.DataFrame, start: pd.Timestamp,
            end: pd.Timestamp) -> tuple[pd.DataFrame, np.ndarray]:
    n = len(cust)
    signup = pd.to_datetime(cust["signup_date"]).to_numpy()
    first = np.maximum(signup + rng.integers(0, 45, n).astype("timedelta64[D]"), np.datetime64(start))
    first_day = (first - np.datetime64(start)).astype("timedelta64[D]").astype(int)
    total_days = (end - start).days
    # Unhappy customers leave sooner; 8 % never buy (potential customers).
    life = cust["_life"].to_numpy() * np.exp(0.35 * cust["_mood"].to_numpy())
    churn_day = first_day + life.astype(int)
    never = rng.random(n) < 0.08
    rows = []
    oid = 0
    season = SEASON / SEASON.max()
    for i in range(n):
        if never[i] or first_day[i] > total_days:
            continue
        last_day = min(churn_day[i], total_days)
        days = max(last_day - first_day[i], 0)
        rate = cust["_rate"].iat[i] / 365.0
        k = rng.poisson(rate * days * 5.2) + 1
        cand = first_day[i] + np.sort(rng.integers(0, days + 1, k))
        months = (start + pd.to_timedelta(cand, unit="D")).month.to_numpy() - 1
        keep = rng.random(k) < season[months] * 0.75
        # Fading before leaving: in the last 120 days before churn, half the orders vanish.
        fading = (churn_day[i] <= total_days) & (cand > churn_day[i] - 120)
        keep &= ~(fading & (rng.random(k) < 0.5))
        keep[0] = True  # the first order always happens
        for d in cand[keep]:
            oid += 1
            rows.append((i, int(d), oid))
    idx = np.array([r[0] for r in rows])
    day = np.array([r[1] for r in rows])
    m = len(rows)
    value = cust["_value"].to_numpy()[idx] * np.exp(rng.normal(0, 0.45, m))
    cat_names = list(CATEGORIES)
    cat = rng.choice(cat_names, m)
    factor = np.array([CATEGORIES[c][1] for c in cat])
    product = [rng.choice(CATEGORIES[c][0]) for c in cat]
    amount = np.round(value * factor, 2)
    status = np.where(rng.random(m) < 0.025, "cancelled", "paid")
    dates = (start + pd.to_timedelta(day, unit="D")).date
    order_id = [f"SO{d.year}{o:07d}" for d, o in zip(dates, range(1, m + 1), strict=True)]
    orders = pd.DataFrame({
        "order_id": order_id,
        "customer_id": cust["customer_id"].to_numpy()[idx],
        "order_date": dates,
        "amount": amount,
        "status": status,
        "product": product,
        "category": cat,
        "channel": cust["channel"].to_numpy()[idx],
    })
    # Refunds: 3 % of paid orders get a (partial or full) refund row a few days later.
    paid = orders[orders["status"] == "paid"]
    pick = paid.sample(frac=0.03, random_state=int(rng.integers(1 << 31)))
    share = np.where(rng.random(len(pick)) < 0.5, 1.0, rng.uniform(0.2, 0.8, len(pick)))
    refund_dates = pd.to_datetime(pick["order_date"]) + pd.to_timedelta(rng.integers(1, 15, len(pick)), unit="D")
    refunds = pick.assign(
        order_id=pick["order_id"] + "-R",
        order_date=np.minimum(refund_dates, end).dt.date,
        amount=-np.round(pick["amount"].to_numpy() * share, 2),
        status="refunded",
    )
    out = pd.concat([orders, refunds], ignore_index=True).sort_values(["order_date", "order_id"])
    return out.reset_index(drop=True), churn_day


def _surveys(rng: np.random.Generator, cust: pd.DataFrame, orders: pd.DataFrame,
             churn_day: np.ndarray, end: pd.Timestamp) -> pd.DataFrame:
    paid = orders[orders["status"] == "paid"]
    pick = paid.sample(frac=min(1.0, 4600 / max(len(paid), 1) * len(cust) / 2000),
                       random_state=int(rng.integers(1 << 31)))
    pos = cust.set_index("customer_id").index.get_indexer(pick["customer_id"])
    mood = cust["_mood"].to_numpy()[pos]
    start = end - pd.Timedelta(days=365 * 3)
    order_day = (pd.to_datetime(pick["order_date"]) - start).dt.days.to_numpy()
    # Mood sours in the months before a customer leaves.
    near_churn = (churn_day[pos] - order_day) < 150
    latent = mood - 1.3 * near_churn + rng.normal(0, 0.8, len(pick))
    is_nps = rng.random(len(pick)) < 0.6
    nps = np.clip(np.round(8.6 + 1.8 * latent), 0, 10).astype(int)
    csat = np.clip(np.round(4.2 + 0.9 * latent), 1, 5).astype(int)
    score = np.where(is_nps, nps, csat)
    band = np.where(is_nps, np.where(nps >= 9, "promoter", np.where(nps >= 7, "passive", "detractor")),
                    np.where(csat >= 4, "promoter", np.where(csat == 3, "passive", "detractor")))
    has_comment = rng.random(len(pick)) < 0.45
    comment = [rng.choice(COMMENTS[b]) if c else None for b, c in zip(band, has_comment, strict=True)]
    survey_date = np.minimum(pd.to_datetime(pick["order_date"]) + pd.to_timedelta(
        rng.integers(1, 8, len(pick)), unit="D"), end).dt.date
    surveys = pd.DataFrame({
        "customer_id": pick["customer_id"].to_numpy(),
        "order_id": pick["order_id"].to_numpy(),
        "survey_date": survey_date.to_numpy(),
        "scale": np.where(is_nps, "nps", "csat"),
        "score": score,
        "kind": "survey",
        "comment": comment,
        "channel": rng.choice(["短信问卷", "企业微信", "邮件", "电话回访"], len(pick)),
    })
    # Complaints: mostly from unhappy customers.
    unhappy = pick[latent < -1.0]
    comp = unhappy.sample(n=min(len(unhappy), int(320 * len(cust) / 2000)),
                          random_state=int(rng.integers(1 << 31)))
    complaints = pd.DataFrame({
        "customer_id": comp["customer_id"].to_numpy(),
        "order_id": comp["order_id"].to_numpy(),
        "survey_date": np.minimum(pd.to_datetime(comp["order_date"]) + pd.to_timedelta(
            rng.integers(2, 20, len(comp)), unit="D"), end).dt.date.to_numpy(),
        "scale": None,
        "score": pd.array([None] * len(comp), dtype="Int64"),
        "kind": "complaint",
        "comment": rng.choice(COMPLAINTS, len(comp)),
        "channel": "客服热线",
    })
    out = pd.concat([surveys, complaints], ignore_index=True).sort_values(["survey_date", "customer_id"])
    out.insert(0, "survey_id", [f"S{i + 1:07d}" for i in range(len(out))])
    out["score"] = out["score"].astype("Int64")
    return out.reset_index(drop=True)


def _followups(rng: np.random.Generator, cust: pd.DataFrame, orders: pd.DataFrame,
               end: pd.Timestamp) -> pd.DataFrame:
    """A plan already in use: past contacts with outcomes, open ones due soon, a few overdue."""
    n = max(20, len(cust) // 12)
    who = cust.sample(n=n, random_state=int(rng.integers(1 << 31)))
    today = pd.Timestamp(date.today())
    offsets = rng.integers(-60, 21, n)
    due = (np.minimum(end, today) + pd.to_timedelta(offsets, unit="D")).date
    past = offsets < -7
    status = np.where(past, np.where(rng.random(n) < 0.85, "done", "cancelled"), "planned")
    outcome = np.where(status == "done", rng.choice(["reached", "no_answer", "won_back", "lost", "reached"], n), None)
    notes_done = {"reached": "已电话沟通，客户有续购意向", "no_answer": "两次未接通", "won_back": "发放优惠券后已复购",
                  "lost": "客户已转向竞品", None: None}
    created = pd.to_datetime(due) - pd.to_timedelta(rng.integers(5, 20, n), unit="D")
    return pd.DataFrame({
        "customer_id": who["customer_id"].to_numpy(),
        "owner": who["owner"].to_numpy(),
        "action": rng.choice(["call", "visit", "email", "message", "coupon"], n, p=[0.45, 0.15, 0.1, 0.2, 0.1]),
        "due_date": due,
        "status": status,
        "outcome": outcome,
        "note": [notes_done.get(o) if s == "done" else ("回访近期订单满意度" if s == "planned" else "客户要求暂缓")
                 for o, s in zip(outcome, status, strict=True)],
        "source": "manual",
        "created_by": "demo",
        "created_at": created,
        "updated_by": "demo",
        "updated_at": created,
        "version": 1,
    })


def _targets(orders: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Monthly targets for the last three months and the next one, as a manager would set them."""
    month = pd.to_datetime(orders["order_date"]).dt.to_period("M")
    revenue = orders.groupby(month)["amount"].sum()
    rows = []
    last = end.to_period("M")
    for k in range(-2, 2):
        m = last + k
        base = revenue.get(m - 12, revenue.iloc[-1]) if (m - 12) in revenue.index else revenue.iloc[-1]
        month_start = m.to_timestamp().date()
        rows += [
            ("revenue", month_start, float(round(base * 1.25, -4))),
            ("new_customers", month_start, 70.0),
            ("churn_rate", month_start, 5.0),
            ("nps", month_start, 20.0),
            ("csat", month_start, 70.0),
            ("followups_done", month_start, 50.0),
        ]
    return pd.DataFrame(rows, columns=["kpi", "month", "target"])


# The demo company's imports: written by ``build_demo`` under the user name 'demo' with a seed as
# their checksum (a real import's checksum is a file's sha256).
DEMO_IMPORTS = "SELECT import_id FROM imports WHERE username = 'demo' AND checksum LIKE 'demo-seed-%'"


def is_loaded(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether some of the demo company is still in the tables: a demo import neither undone,
    replaced by a real import nor removed."""
    rows = con.execute(
        f"SELECT count(*) FROM imports WHERE import_id IN ({DEMO_IMPORTS}) AND status = 'done'"  # noqa: S608
    ).fetchall()
    return rows[0][0] > 0


@dataclass(frozen=True)
class DemoFootprint:
    """What removing the demo company deletes (rows users can see)."""

    customers: int
    orders: int
    surveys: int
    followups: int
    targets: int

    @property
    def total(self) -> int:
        return self.customers + self.orders + self.surveys + self.followups + self.targets


def _backup_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(table, kind) of the copies that undoing a replace/upsert import restores."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND regexp_matches(table_name, '^backup_[0-9]+_(customers|orders|surveys)$')"
    ).fetchall()
    return [(r[0], r[0].rsplit("_", 1)[1]) for r in rows]


def _demo_followups_sql(con: duckdb.DuckDBPyConnection) -> str:
    """SELECT of the follow-up ids that go with the demo: written by the demo, or for a demo customer
    (live or kept for undo) who is not also a customer of real data."""
    demo_customers = " UNION ".join(
        [f"SELECT customer_id FROM main.customers WHERE import_id IN ({DEMO_IMPORTS})"]  # noqa: S608
        + [f"SELECT customer_id FROM main.{name} WHERE import_id IN ({DEMO_IMPORTS})"  # noqa: S608
           for name, kind in _backup_tables(con) if kind == "customers"]
    )
    real = f"SELECT customer_id FROM main.customers WHERE import_id IS NULL OR import_id NOT IN ({DEMO_IMPORTS})"  # noqa: S608
    return (f"SELECT followup_id FROM followups WHERE created_by = 'demo' OR (customer_id IN ({demo_customers}) "  # noqa: S608
            f"AND customer_id NOT IN ({real}))")


def footprint(con: duckdb.DuckDBPyConnection) -> DemoFootprint:
    """Counts of the demo rows still in the database (all zero once removed or never loaded)."""
    if not db.scalar(con, f"SELECT count(*) FROM imports WHERE import_id IN ({DEMO_IMPORTS}) "  # noqa: S608
                          "AND status <> 'removed'"):
        n = db.scalar(con, "SELECT count(*) FROM targets WHERE updated_by = 'demo'")
        return DemoFootprint(0, 0, 0, 0, n)
    row = con.execute(
        f"SELECT (SELECT count(*) FROM customers WHERE import_id IN ({DEMO_IMPORTS})), "  # noqa: S608
        f"(SELECT count(*) FROM orders WHERE import_id IN ({DEMO_IMPORTS})), "
        f"(SELECT count(*) FROM surveys WHERE import_id IN ({DEMO_IMPORTS})), "
        f"(SELECT count(*) FROM followups WHERE followup_id IN ({_demo_followups_sql(con)})), "
        "(SELECT count(*) FROM targets WHERE updated_by = 'demo')"
    ).fetchall()[0]
    return DemoFootprint(*(int(n) for n in row))


def remove_demo(con: duckdb.DuckDBPyConnection, username: str | None, lang: str = "en") -> DemoFootprint:
    """Delete the demo company for good, in one transaction; returns what was deleted.

    Goes: the customers, orders and surveys rows the demo imports loaded (also from the copies an
    undo of a later replace/upsert would restore, so no undo brings the demo back), the follow-ups of
    demo customers and their history, and the targets the demo set (a target a user has since
    changed stays). The demo imports become ``removed``. Real imported rows are not touched. A
    concurrent write to the same rows raises ``Conflict`` with nothing deleted.
    """
    try:
        with db.transaction(con):
            gone = footprint(con)
            # Follow-ups first: which customers are the demo's is read from the customer rows.
            fids = _demo_followups_sql(con)
            con.execute(f"DELETE FROM followup_history WHERE followup_id IN ({fids})")  # noqa: S608
            con.execute(f"DELETE FROM followups WHERE followup_id IN ({fids})")  # noqa: S608
            for table in db.DATA_TABLES:
                con.execute(f"DELETE FROM main.{table} WHERE import_id IN ({DEMO_IMPORTS})")  # noqa: S608
            for name, _kind in _backup_tables(con):
                con.execute(f"DELETE FROM main.{name} WHERE import_id IN ({DEMO_IMPORTS})")  # noqa: S608
            con.execute("DELETE FROM targets WHERE updated_by = 'demo'")
            con.execute(f"UPDATE imports SET status = 'removed', replaced_by = NULL WHERE import_id IN ({DEMO_IMPORTS})")  # noqa: S608
            auth.audit(con, username, "remove_demo", {
                "customers": gone.customers, "orders": gone.orders, "surveys": gone.surveys,
                "followups": gone.followups, "targets": gone.targets})
            db.bump_data_version(con)
    except duckdb.TransactionException as exc:
        raise Conflict(t("data.demo.err.conflict", lang)) from exc
    try:
        con.execute("CHECKPOINT")
    except duckdb.TransactionException:
        pass  # another write is open: DuckDB checkpoints later; the commit is in its log already
    return gone


SAMPLE_HEADERS = {  # the demo as a Chinese manager's export would look: Chinese headers, UTF-8 with BOM
    "customers": {"customer_id": "客户编号", "name": "客户名称", "phone": "手机号", "email": "邮箱",
                  "region": "区域", "city": "城市", "channel": "渠道", "owner": "客户经理", "team": "团队",
                  "signup_date": "注册日期"},
    "orders": {"order_id": "订单号", "customer_id": "客户编号", "order_date": "下单日期", "amount": "实付金额",
               "status": "订单状态", "product": "商品", "category": "品类", "channel": "渠道"},
    "surveys": {"survey_id": "问卷编号", "customer_id": "客户编号", "order_id": "订单号",
                "survey_date": "评价日期", "scale": "量表", "score": "评分", "kind": "类型",
                "comment": "评价内容", "channel": "调研渠道"},
}
SAMPLE_STATUS = {"paid": "已支付", "refunded": "已退款", "cancelled": "已取消"}
SAMPLE_KIND = {"survey": "问卷", "complaint": "投诉"}


def write_sample(folder: str, customers: int = 2000, seed: int = 42, end: date | None = None) -> list[str]:
    """Write the demo company as three CSV files with Chinese headers (templates for users)."""
    from pathlib import Path

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    frames = generate(customers=customers, seed=seed, end=end or date.today() - timedelta(days=1))
    frames["orders"] = frames["orders"].assign(status=frames["orders"]["status"].map(SAMPLE_STATUS))
    frames["surveys"] = frames["surveys"].assign(
        kind=frames["surveys"]["kind"].map(SAMPLE_KIND),
        scale=frames["surveys"]["scale"].str.upper(),
    )
    written = []
    for table, headers in SAMPLE_HEADERS.items():
        path = out / f"{table}.csv"
        frames[table][list(headers)].rename(columns=headers).to_csv(path, index=False, encoding="utf-8-sig")
        written.append(str(path))
    return written
