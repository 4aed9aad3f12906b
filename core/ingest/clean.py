"""Values: SQL that turns staged text into typed fields, with a reason for every row it cannot use.

Dates (ISO, 2024/1/5, 2024年1月5日, 05.01.2024, 20240105, Excel serials), amounts (¥/￥/$/元,
thousands separators, full-width digits, parentheses), survey scores and their scale. IDs and
phones stay text. Day/month order is decided from the data or asked, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from core.ingest.mapping import norm_header
from core.ingest.read import STAGE_DB

FULL = "０１２３４５６７８９．，－＋（）／：　"
HALF = "0123456789.,-+()/: "
DATE_FIELDS = ("order_date", "survey_date", "signup_date")
ID_FIELDS = ("customer_id", "order_id", "survey_id", "phone")
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
# Every code a row can be rejected with; texts in core/i18n/data.py (data.reason.<code>).
REASONS = ("malformed_line", "missing_value", "bad_date", "bad_amount", "bad_score", "score_out_of_range",
           "duplicate_in_file", "already_exists")


@dataclass(frozen=True)
class Options:
    """Answers the user gave (or None = detect): day-first dates, survey scale."""

    dayfirst: bool | None = None
    scale: str | None = None


@dataclass
class Profile:
    """What the values said about themselves."""

    dayfirst: bool = True
    dayfirst_source: str = "none"  # none | data | user | conflict
    needs_dayfirst: bool = False
    ambiguous_dates: int = 0
    ambiguous_examples: list[str] = field(default_factory=list)
    scale: str | None = None
    scale_source: str = "none"  # none | header | data | user | column


def _fw(x: str) -> str:
    return f"translate({x}, '{FULL}', '{HALF}')"


def text_expr(x: str) -> str:
    return f"nullif(trim({x}, ' \t\r\n'), '')"


def id_expr(x: str) -> str:
    """IDs and phones as text: strip the ="007" and '007 wrappers exports use to keep zeros."""
    s = f"trim({x}, ' \t\r\n')"
    return (f"nullif(regexp_replace(regexp_replace({s}, '^=\"(.*)\"$', '\\1'), '^''', ''), '')")


def norm_date(x: str) -> str:
    """Date part only, separators unified to '-': 2024年1月5日 10:00 → 2024-1-5."""
    return (f"split_part(replace(regexp_replace(replace({_fw(f'trim({x})')}, '日', ''), "
            f"'[年月/.]', '-', 'g'), 'T', ' '), ' ', 1)")


def date_expr(x: str, dayfirst: bool) -> str:
    n = norm_date(x)
    dmy = "%d-%m-%Y" if dayfirst else "%m-%d-%Y"
    parsed = (
        f"CASE WHEN try_cast({x} AS DATE) IS NOT NULL THEN try_cast({x} AS DATE) ELSE (CASE "
        f"WHEN regexp_matches({n}, '^[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}$') "
        f"THEN CAST(try_strptime({n}, '%Y-%m-%d') AS DATE) "
        f"WHEN regexp_matches({n}, '^[0-9]{{1,2}}-[0-9]{{1,2}}-[0-9]{{4}}$') "
        f"THEN CAST(try_strptime({n}, '{dmy}') AS DATE) "
        f"WHEN regexp_matches({n}, '^[0-9]{{8}}$') THEN CAST(try_strptime({n}, '%Y%m%d') AS DATE) "
        f"WHEN regexp_matches({n}, '^[0-9]{{5}}(\\.[0-9]+)?$') "
        f"THEN DATE '1899-12-30' + CAST(floor(CAST({n} AS DOUBLE)) AS INTEGER) END) END"
    )
    return f"(SELECT CASE WHEN d BETWEEN DATE '1900-01-01' AND DATE '2100-12-31' THEN d END FROM (SELECT {parsed} AS d))"  # noqa: S608 - own names


def amount_expr(x: str) -> str:
    s = f"regexp_replace({_fw(x)}, '[\\s,¥￥$元]|RMB|CNY|USD|rmb', '', 'g')"
    signed = f"CASE WHEN regexp_matches({s}, '^\\(.*\\)$') THEN '-' || trim({s}, '()') ELSE {s} END"
    slow = (f"CASE WHEN regexp_matches({signed}, '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$') "
            f"THEN try_cast({signed} AS DECIMAL(18, 2)) END")
    return f"coalesce(try_cast({x} AS DECIMAL(18, 2)), {slow})"


def score_num(x: str) -> str:
    return f"try_cast(trim({_fw(x)}) AS DOUBLE)"


def status_expr(x: str | None, amount: str) -> str:
    s = f"lower(trim({x}))" if x else "NULL"
    return (f"CASE WHEN {s} IS NULL OR {s} = '' THEN (CASE WHEN {amount} < 0 THEN 'refunded' ELSE 'paid' END) "
            f"WHEN regexp_matches({s}, '未|not |no ') THEN 'paid' "
            f"WHEN regexp_matches({s}, '退款|退货|refund|return') THEN 'refunded' "
            f"WHEN regexp_matches({s}, '取消|关闭|作废|cancel|void|closed') THEN 'cancelled' ELSE 'paid' END")


def kind_expr(x: str | None) -> str:
    if not x:
        return "'survey'"
    return (f"CASE WHEN regexp_matches(lower(trim({x})), '投诉|complain|^(1|y|yes|true|是|√|✓|x)$') "
            "THEN 'complaint' ELSE 'survey' END")


def scale_value_expr(x: str) -> str:
    s = f"lower(trim({x}))"
    return (f"CASE WHEN regexp_matches({s}, 'nps|推荐|0-10|0~10') THEN 'nps' "
            f"WHEN regexp_matches({s}, 'csat|满意|1-5|1~5') THEN 'csat' "
            f"WHEN regexp_matches({s}, 'ces|费力|1-7|1~7') THEN 'ces' END")


def date_profile(con: duckdb.DuckDBPyConnection, raw: str, cols: list[str], opts: Options) -> Profile:
    """Day/month order from values like 05.01.2024: a part > 12 decides; otherwise ask."""
    prof = Profile()
    if opts.dayfirst is not None:
        prof.dayfirst, prof.dayfirst_source = opts.dayfirst, "user"
    if not cols:
        return prof
    parts = " UNION ALL ".join(f"SELECT {norm_date(c)} AS n FROM {raw}" for c in cols)  # noqa: S608 - own names
    day_ev, month_ev, amb = con.execute(
        f"SELECT count(*) FILTER (a > 12 AND b <= 12), count(*) FILTER (b > 12 AND a <= 12), "  # noqa: S608
        f"count(*) FILTER (a <= 12 AND b <= 12 AND a <> b) FROM (SELECT "
        f"try_cast(split_part(n, '-', 1) AS INTEGER) AS a, try_cast(split_part(n, '-', 2) AS INTEGER) AS b "
        f"FROM ({parts}) WHERE regexp_matches(n, '^[0-9]{{1,2}}-[0-9]{{1,2}}-[0-9]{{4}}$'))"
    ).fetchone()
    prof.ambiguous_dates = amb
    if amb:
        prof.ambiguous_examples = [r[0] for r in con.execute(
            f"SELECT DISTINCT v FROM (SELECT trim({cols[0]}) AS v, {norm_date(cols[0])} AS n FROM {raw}) "  # noqa: S608
            "WHERE regexp_matches(n, '^[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}$') "
            "AND try_cast(split_part(n, '-', 1) AS INTEGER) <= 12 "
            "AND try_cast(split_part(n, '-', 2) AS INTEGER) <= 12 "
            "AND split_part(n, '-', 1)::INTEGER <> split_part(n, '-', 2)::INTEGER LIMIT 3"
        ).fetchall()]
    if opts.dayfirst is not None:
        return prof
    if day_ev or month_ev:
        prof.dayfirst = day_ev >= month_ev
        prof.dayfirst_source = "conflict" if (day_ev and month_ev) else "data"
    elif amb:
        prof.needs_dayfirst = True
    return prof


def detect_scale(con: duckdb.DuckDBPyConnection, raw: str, score_col: str, header: str, opts: Options,
                 prof: Profile) -> None:
    """Scale from the user, else the header (NPS/CSAT/CES), else the range of the scores."""
    if opts.scale:
        prof.scale, prof.scale_source = opts.scale, "user"
        return
    h = norm_header(header)
    for name, hints in (("nps", ("nps", "推荐")), ("csat", ("csat",)), ("ces", ("ces", "费力"))):
        if any(k in h for k in hints):
            prof.scale, prof.scale_source = name, "header"
            return
    lo, hi = con.execute(
        f"SELECT min(v), max(v) FROM (SELECT {score_num(score_col)} AS v FROM {raw}) WHERE v = floor(v)"  # noqa: S608
    ).fetchone()
    if lo is None:
        return
    if lo >= 1 and hi <= 5:
        prof.scale = "csat"
    elif lo >= 1 and hi <= 7:
        prof.scale = "ces"
    else:
        prof.scale = "nps"
    prof.scale_source = "data"


def build(con: duckdb.DuckDBPyConnection, token: str, kind: str, headers: list[str],
          mapping: list[str | None], opts: Options) -> Profile:
    """Create ``kehu_stage.<token>_clean``: typed fields, ``extra`` JSON, ``_reason``/``_col`` per row."""
    raw = f"{STAGE_DB}.{token}"
    col = {f: f"c{i + 1}" for i, f in enumerate(mapping) if f}
    dates = [col[f] for f in DATE_FIELDS if f in col]
    prof = date_profile(con, raw, dates, opts)
    if kind == "surveys" and "score" in col:
        detect_scale(con, raw, col["score"], headers[mapping.index("score")], opts, prof)

    params: dict[str, object] = {}
    exprs: dict[str, str] = {}
    checks: list[tuple[str, str, str]] = []  # (reason, field, condition meaning "row is bad")

    def raw_of(f: str) -> str:
        return col[f] if f in col else "NULL"

    for f in col:
        x = col[f]
        if f in ID_FIELDS:
            exprs[f] = id_expr(x)
        elif f in DATE_FIELDS:
            exprs[f] = date_expr(x, prof.dayfirst)
        elif f == "amount":
            exprs[f] = amount_expr(x)
        elif f not in ("score", "scale", "kind", "status"):
            exprs[f] = text_expr(x)

    if kind == "orders":
        exprs["status"] = status_expr(col.get("status"), "amount")
    if kind == "surveys":
        exprs["kind"] = kind_expr(col.get("kind"))
        num = score_num(raw_of("score")) if "score" in col else "CAST(NULL AS DOUBLE)"
        exprs["score"] = f"CASE WHEN {num} = floor({num}) THEN CAST({num} AS INTEGER) END"
        file_scale = f"'{prof.scale}'" if prof.scale in SCALES else "NULL"
        per_row = scale_value_expr(col["scale"]) if "scale" in col else "NULL"
        exprs["scale"] = f"CASE WHEN score IS NULL THEN NULL ELSE coalesce({per_row}, {file_scale}) END"

    def empty(f: str) -> str:
        return f"nullif(trim({raw_of(f)}), '') IS NULL"

    required = {"customers": ["customer_id"], "orders": ["order_id", "customer_id", "order_date", "amount"],
                "surveys": ["customer_id", "survey_date"]}[kind]
    for f in required:
        checks.append(("missing_value", f, empty(f)))
    for f in required:
        if f in DATE_FIELDS:
            checks.append(("bad_date", f, f"{f} IS NULL"))
        if f == "amount":
            checks.append(("bad_amount", f, "amount IS NULL"))
    if kind == "surveys":
        checks.append(("missing_value", "score", f"kind = 'survey' AND {empty('score')}"))
        checks.append(("bad_score", "score", f"NOT ({empty('score')}) AND score IS NULL"))
        checks.append(("bad_score", "scale", "score IS NOT NULL AND scale IS NULL"))
        rng = " OR ".join(f"(scale = '{s}' AND score BETWEEN {lo} AND {hi})" for s, (lo, hi) in SCALES.items())
        checks.append(("score_out_of_range", "score", f"score IS NOT NULL AND NOT ({rng})"))

    extra_items: list[str] = []
    for i, f in enumerate(mapping):
        if f is None:
            key = f"h{i + 1}"
            params[key] = headers[i].strip() or f"column_{i + 1}"
            extra_items.append(f"${key}, c{i + 1}")
    if "signup_date" in col:  # optional date that does not parse: keep the text in extra
        params["signup_key"] = headers[mapping.index("signup_date")].strip() or "signup_date"
        extra_items.append(f"$signup_key, CASE WHEN signup_date IS NULL THEN {col['signup_date']} END")
    extra = f"json_object({', '.join(extra_items)})" if extra_items else "CAST(NULL AS JSON)"

    # Layer the SELECTs so later expressions can use earlier typed columns by name.
    base_fields = [f for f in exprs if f not in ("status", "kind", "score", "scale")]
    layer1 = ", ".join([f"{exprs[f]} AS {f}" for f in base_fields] + [f"c{i + 1}" for i in range(len(headers))])
    layer2_items = ["*"]
    if kind == "orders":
        layer2_items.append(f"{exprs['status']} AS status")
    if kind == "surveys":
        layer2_items += [f"{exprs['kind']} AS kind", f"{exprs['score']} AS score"]
    layer3_items = ["*"] + ([f"{exprs['scale']} AS scale"] if kind == "surveys" else [])
    case_reason = "CASE " + " ".join(f"WHEN {cond} THEN '{r}'" for r, _, cond in checks) + " END"
    case_col = "CASE " + " ".join(f"WHEN {cond} THEN '{f}'" for _, f, cond in checks) + " END"
    con.execute(
        f"CREATE OR REPLACE TABLE {raw}_clean AS SELECT *, {case_reason} AS _reason, {case_col} AS _col, "  # noqa: S608
        f"{extra} AS extra FROM (SELECT {', '.join(layer3_items)} FROM (SELECT {', '.join(layer2_items)} "
        f"FROM (SELECT _row, {layer1} FROM {raw}))) ORDER BY _row",
        params,
    )
    if kind == "surveys" and "survey_id" not in col:
        # Deterministic id from the answer's content: re-importing the same file gives the same ids.
        con.execute(
            f"ALTER TABLE {raw}_clean ADD COLUMN survey_id VARCHAR"
        )
        con.execute(
            f"UPDATE {raw}_clean SET survey_id = 'gen-' || substr(md5(concat_ws('|', customer_id, "  # noqa: S608
            f"coalesce({'order_id' if 'order_id' in col else 'NULL'}, ''), CAST(survey_date AS VARCHAR), "
            "coalesce(CAST(score AS VARCHAR), ''), kind, "
            f"coalesce({'comment' if 'comment' in col else 'NULL'}, ''))), 1, 16)"
        )
    return prof
