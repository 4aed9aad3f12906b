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
STATUS_ENUM = "ENUM('paid', 'refunded', 'cancelled')"
STATUS_LOOKUP = 64  # at most this many distinct status texts are looked up instead of matched
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


# Most cells need no trimming: a cheap test sends only the others through the slower string functions.
_EDGE_WS = r"'^[ \t\r\n]|[ \t\r\n]$'"
_ID_WRAPPED = r"""'^[ \t\r\n=''"]|[ \t\r\n]$'"""


def text_expr(x: str) -> str:
    slow = f"nullif(trim({x}, ' \t\r\n'), '')"
    return f"CASE WHEN regexp_matches({x}, {_EDGE_WS}) THEN {slow} ELSE nullif({x}, '') END"


def id_expr(x: str) -> str:
    """IDs and phones as text: strip the ="007" and '007 wrappers exports use to keep zeros."""
    s = f"trim({x}, ' \t\r\n')"
    slow = f"nullif(regexp_replace(regexp_replace({s}, '^=\"(.*)\"$', '\\1'), '^''', ''), '')"
    return f"CASE WHEN regexp_matches({x}, {_ID_WRAPPED}) THEN {slow} ELSE nullif({x}, '') END"


def blank(x: str) -> str:
    """``nullif(trim(x), '') IS NULL`` (NULL, empty or only spaces), trimming only what starts with a space."""
    return f"(CASE WHEN {x} IS NULL OR {x} = '' THEN true WHEN starts_with({x}, ' ') THEN trim({x}) = '' ELSE false END)"


def norm_date(x: str) -> str:
    """Date part only, separators unified to '-': 2024年1月5日 10:00 → 2024-1-5."""
    return (f"split_part(replace(regexp_replace(replace({_fw(f'trim({x})')}, '日', ''), "
            f"'[年月/.]', '-', 'g'), 'T', ' '), ' ', 1)")


# Typed values are computed in layers (each a SELECT over the one before) so the slow text
# normalisation runs once, and only for values DuckDB's own cast cannot read: an expression repeated
# inside one SELECT is hoisted by DuckDB's common-subexpression pass and then runs for every row.
def date_layers(x: str, dayfirst: bool, name: str) -> list[list[str]]:
    """Layers giving ``name``: a DATE between 1900 and 2100, else NULL, from the text column ``x``."""
    n = f"_n_{name}"
    dmy = "%d-%m-%Y" if dayfirst else "%m-%d-%Y"
    return [
        [f"try_cast({x} AS DATE) AS _f_{name}",
         f"CASE WHEN try_cast({x} AS DATE) IS NULL THEN {norm_date(x)} END AS {n}"],
        [f"coalesce(_f_{name}, CASE "
         f"WHEN regexp_matches({n}, '^[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}$') "
         f"THEN CAST(try_strptime({n}, '%Y-%m-%d') AS DATE) "
         f"WHEN regexp_matches({n}, '^[0-9]{{1,2}}-[0-9]{{1,2}}-[0-9]{{4}}$') "
         f"THEN CAST(try_strptime({n}, '{dmy}') AS DATE) "
         f"WHEN regexp_matches({n}, '^[0-9]{{8}}$') THEN CAST(try_strptime({n}, '%Y%m%d') AS DATE) "
         f"WHEN regexp_matches({n}, '^[0-9]{{5}}(\\.[0-9]+)?$') "
         f"THEN DATE '1899-12-30' + CAST(floor(CAST({n} AS DOUBLE)) AS INTEGER) END) AS _d_{name}"],
        [f"CASE WHEN _d_{name} BETWEEN DATE '1900-01-01' AND DATE '2100-12-31' THEN _d_{name} END AS {name}"],
    ]


def amount_layers(x: str, name: str) -> list[list[str]]:
    """Layers giving ``name`` DECIMAL(18, 2): DuckDB's cast, else without ¥/元/commas, full-width, (refund)."""
    s, signed = f"_s_{name}", f"_g_{name}"
    return [
        [f"try_cast({x} AS DECIMAL(18, 2)) AS _f_{name}",
         f"CASE WHEN try_cast({x} AS DECIMAL(18, 2)) IS NULL THEN "
         f"regexp_replace({_fw(x)}, '[\\s,¥￥$元]|RMB|CNY|USD|rmb', '', 'g') END AS {s}"],
        [f"CASE WHEN regexp_matches({s}, '^\\(.*\\)$') THEN '-' || trim({s}, '()') ELSE {s} END AS {signed}"],
        [f"coalesce(_f_{name}, CASE WHEN regexp_matches({signed}, '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$') "
         f"THEN try_cast({signed} AS DECIMAL(18, 2)) END) AS {name}"],
    ]


def score_num(x: str) -> str:
    return f"try_cast(trim({_fw(x)}) AS DOUBLE)"


def _contains_any(s: str, words: tuple[str, ...]) -> str:
    """Same as ``regexp_matches(s, 'w1|w2|…')`` for literal words, without the regex engine."""
    return "(" + " OR ".join(f"contains({s}, '{w}')" for w in words) + ")"


def status_expr(s: str, amount: str) -> str:
    """``s`` is the status text lower-cased and trimmed (or NULL when the file has no status column)."""
    paid = ("未", "not ", "no ")
    refunded = ("退款", "退货", "refund", "return")
    cancelled = ("取消", "关闭", "作废", "cancel", "void", "closed")
    any_word = "|".join(paid + refunded + cancelled)
    return (f"CASE WHEN {s} IS NULL OR {s} = '' THEN (CASE WHEN {amount} < 0 THEN 'refunded' ELSE 'paid' END) "
            f"WHEN NOT regexp_matches({s}, '{any_word}') THEN 'paid' "  # most statuses: one scan
            f"WHEN {_contains_any(s, paid)} THEN 'paid' "
            f"WHEN {_contains_any(s, refunded)} THEN 'refunded' "
            f"WHEN {_contains_any(s, cancelled)} THEN 'cancelled' ELSE 'paid' END")


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


def raw_json(headers: list[str]) -> tuple[str, dict[str, str]]:
    """``json_object`` of a row's original cells keyed by (de-duplicated) header, for rejects."""
    params: dict[str, str] = {}
    seen: set[str] = set()
    items = []
    for i, h in enumerate(headers):
        key = h.strip() or f"column_{i + 1}"
        while key in seen:
            key += "_"
        seen.add(key)
        params[f"r{i + 1}"] = key
        items.append(f"$r{i + 1}, c{i + 1}")
    return f"json_object({', '.join(items)})", params


def date_profile(con: duckdb.DuckDBPyConnection, raw: str, cols: list[str], opts: Options) -> Profile:
    """Day/month order from values like 05.01.2024: a part > 12 decides; otherwise ask."""
    prof = Profile()
    if opts.dayfirst is not None:
        prof.dayfirst, prof.dayfirst_source = opts.dayfirst, "user"
    if not cols:
        return prof
    # A value DuckDB casts to DATE starts with the year, so it can never be d.m.yyyy: skip those cheaply.
    parts = " UNION ALL ".join(f"SELECT {norm_date(c)} AS n FROM {raw} WHERE try_cast({c} AS DATE) IS NULL"  # noqa: S608 - own names
                               for c in cols)
    day_ev, month_ev, amb = con.execute(
        f"SELECT count(*) FILTER (a > 12 AND b <= 12), count(*) FILTER (b > 12 AND a <= 12), "  # noqa: S608
        f"count(*) FILTER (a <= 12 AND b <= 12 AND a <> b) FROM (SELECT "
        f"try_cast(split_part(n, '-', 1) AS INTEGER) AS a, try_cast(split_part(n, '-', 2) AS INTEGER) AS b "
        f"FROM ({parts}) WHERE regexp_matches(n, '^[0-9]{{1,2}}-[0-9]{{1,2}}-[0-9]{{4}}$'))"
    ).fetchall()[0]
    prof.ambiguous_dates = amb
    if amb:
        prof.ambiguous_examples = [r[0] for r in con.execute(
            f"SELECT DISTINCT v FROM (SELECT trim({cols[0]}) AS v, {norm_date(cols[0])} AS n FROM {raw} "  # noqa: S608
            f"WHERE try_cast({cols[0]} AS DATE) IS NULL) "
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
    ).fetchall()[0]
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
    """Create the view ``kehu_stage.<token>_clean``: ``_row``, typed fields, ``extra`` JSON, ``_reason``/``_col``
    (over the table ``<token>_typed``).

    One pass over the staged text, in file order; the text itself is not copied (rejects and the
    doctor read it from ``<token>_rows``).
    """
    raw = f"{STAGE_DB}.{token}"
    col = {f: f"c{i + 1}" for i, f in enumerate(mapping) if f}
    dates = [col[f] for f in DATE_FIELDS if f in col]
    prof = date_profile(con, raw, dates, opts)
    if kind == "surveys" and "score" in col:
        detect_scale(con, raw, col["score"], headers[mapping.index("score")], opts, prof)

    params: dict[str, object] = {}
    # Each layer is a SELECT *, <items> over the layer before, so later items can name earlier results.
    layers: list[list[str]] = [[], [], [], [], [], []]
    out: list[str] = []  # typed columns the clean table keeps
    checks: list[tuple[str, str, str]] = []  # (reason, field, condition meaning "row is bad")

    def raw_of(f: str) -> str:
        return col[f] if f in col else "NULL"

    def add(steps: list[list[str]], start: int = 0) -> None:
        for i, items in enumerate(steps):
            layers[start + i].extend(items)

    for f in col:
        x = col[f]
        if f in ID_FIELDS:
            add([[f"{id_expr(x)} AS {f}"]])
        elif f in DATE_FIELDS:
            add(date_layers(x, prof.dayfirst, f))
        elif f == "amount":
            add(amount_layers(x, f))
        elif f not in ("score", "scale", "kind", "status"):
            add([[f"{text_expr(x)} AS {f}"]])
        else:
            continue
        out.append(f)

    if kind == "orders":
        sm = "CAST(NULL AS VARCHAR)"
        st = "NULL"
        if "status" in col:
            c = col["status"]
            # Statuses repeat a handful of values: work each distinct value out once with the same
            # rule, then look rows up by equality (the rule runs only for values not looked up).
            values = [r[0] for r in con.execute(
                f"SELECT DISTINCT {c} FROM {raw} WHERE {c} IS NOT NULL LIMIT {STATUS_LOOKUP + 1}"  # noqa: S608 - own names
            ).fetchall()]
            if len(values) <= STATUS_LOOKUP:
                pairs = con.execute(
                    f"SELECT v, {status_expr('lower(trim(v))', 'NULL')} FROM (SELECT unnest(?::VARCHAR[]) AS v) "  # noqa: S608
                    "WHERE nullif(lower(trim(v)), '') IS NOT NULL", [values]
                ).fetchall()
                if pairs:
                    whens = []
                    for i, (v, mapped) in enumerate(pairs):
                        params[f"sv{i}"] = v
                        whens.append(f"WHEN $sv{i} THEN '{mapped}'")
                    sm = f"CASE {c} {' '.join(whens)} END"
            st = f"CASE WHEN _sm IS NULL THEN lower(trim({c})) END"
        # Stored as a one-byte ENUM in the typed table; the ``_clean`` view gives it back as text.
        add([[f"{sm} AS _sm"], [f"{st} AS _st"],
             [f"CAST(coalesce(_sm, {status_expr('_st', 'amount')}) AS {STATUS_ENUM}) AS status"]], start=1)
        out.append("status")
    if kind == "surveys":
        num = score_num(raw_of("score")) if "score" in col else "CAST(NULL AS DOUBLE)"
        file_scale = f"'{prof.scale}'" if prof.scale in SCALES else "NULL"
        per_row = scale_value_expr(col["scale"]) if "scale" in col else "NULL"
        add([[f"{kind_expr(col.get('kind'))} AS kind", f"{num} AS _num"],
             ["CASE WHEN _num = floor(_num) THEN CAST(_num AS INTEGER) END AS score"],
             [f"CASE WHEN score IS NULL THEN NULL ELSE coalesce({per_row}, {file_scale}) END AS scale"]])
        out += ["kind", "score", "scale"]
        if "survey_id" not in col:
            # Deterministic id from the answer's content: re-importing the same file gives the same ids.
            layers[3].append(
                "'gen-' || substr(md5(concat_ws('|', customer_id, "
                f"coalesce({'order_id' if 'order_id' in col else 'NULL'}, ''), CAST(survey_date AS VARCHAR), "
                "coalesce(CAST(score AS VARCHAR), ''), kind, "
                f"coalesce({'comment' if 'comment' in col else 'NULL'}, ''))), 1, 16) AS survey_id")
            out.append("survey_id")

    def empty(f: str) -> str:
        return blank(raw_of(f))

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

    # The first failing check names the reason and the column (one CASE, then two list look-ups).
    which = "CASE " + " ".join(f"WHEN {cond} THEN {k + 1}" for k, (_, _, cond) in enumerate(checks)) + " END"
    reasons = "[" + ", ".join(f"'{r}'" for r, _, _ in checks) + "]"
    fields = "[" + ", ".join(f"'{f}'" for _, f, _ in checks) + "]"
    layers[4] += [f"{which} AS _k", f"{extra} AS extra"]
    # The original cells of a rejected row, kept now so the rejects need no second look at the text.
    raw_sql, raw_params = raw_json(headers)
    params.update(raw_params)
    layers[5].append(f"CASE WHEN _k IS NOT NULL THEN CAST({raw_sql} AS VARCHAR) END AS _raw")
    sql = f"(SELECT * FROM {raw}_rows)"  # noqa: S608 - own names
    for items in layers:
        if items:
            sql = f"(SELECT *, {', '.join(items)} FROM {sql})"  # noqa: S608 - own names
    keep = ", ".join(["_row", *out, "extra", "CAST(_k AS UTINYINT) AS _k", "_raw"])
    con.execute(f"CREATE OR REPLACE TABLE {raw}_typed AS SELECT {keep} FROM {sql}", params)  # noqa: S608 - own names
    # Compact storage (small codes instead of repeated strings), readable columns in the view.
    status = " REPLACE (CAST(status AS VARCHAR) AS status)" if kind == "orders" else ""
    con.execute(
        f"CREATE OR REPLACE VIEW {raw}_clean AS SELECT * EXCLUDE (_k){status}, "  # noqa: S608 - own names
        f"{reasons}[_k] AS _reason, {fields}[_k] AS _col FROM {raw}_typed"
    )
    return prof
