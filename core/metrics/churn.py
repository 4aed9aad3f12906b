"""Churn warning (METRICS.md "Churn-warning score" and "Reasons"): a calibrated model, its quality,
per-customer reasons in words, and the rule fallback when the data is too small.

Time split, with h = ``horizon_days`` and ``d₀ = as_of``:

* features of a customer at a date d come from ``customer_base`` as of d, which ignores every
  order, survey and follow-up dated after d — so no feature can see the label period;
* label at d = 1 when the customer has **no counted order in (d, d + h]** (read from the
  customer table as of d + h: last counted order ≤ d);
* **population** at d: customers with ≥ 1 counted order by d who are not yet churned at d
  (recency ≤ ``churn_days``) — the ones a follow-up can still keep. Customers without orders
  have nothing to lose; already churned ones get the observed rate at which churned customers
  stayed away (see ``score``), not a model score.

Model selection and quality: both candidates (HistGradientBoosting; LogisticRegression on
imputed, standardised features) are trained and calibrated on features at d₀ − 2h labelled by
d₀ − h, and evaluated on the **later** window, features at d₀ − h labelled by d₀ (ROC AUC,
precision in the top 10 %, calibration by decile). The better one is refitted on that latest
labelled window and scores everyone at d₀. More than ``MAX_TRAIN_ROWS`` training rows are
subsampled (stratified, fixed seed; ``quality["subsampled"]`` says so): on the 1M-customer
benchmark 200k of 451k rows keep training near 15 s on one core.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from string import Formatter
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

from core.filters import Filters, customer_where
from core.i18n import t
from core.metrics.base import customer_base
from core.metrics.common import resolve_as_of
from core.settings import Settings

FEATURES: tuple[str, ...] = (
    "recency_days", "frequency", "monetary", "orders_total", "tenure_days", "mean_gap_days",
    "median_gap_days", "recency_gap_ratio", "spend_last_90", "spend_prev_90", "spend_trend",
    "last_score_nps", "mean_score_nps", "last_csat", "is_detractor", "complaint_count",
    "days_since_followup",
)
"""Model inputs (METRICS.md list plus orders_total and recency ÷ median gap)."""

_LOG_FEATURES = ("frequency", "monetary", "orders_total", "spend_last_90", "spend_prev_90")
"""Heavy-tailed amounts and counts, fed as log1p (monotone: trees don't care, the linear model does)."""

RULE_RISK: dict[str, float] = {
    "churned": 0.9, "at_risk": 0.6, "new": 0.3, "active": 0.2, "loyal": 0.1,
}
"""Risk levels of the rule fallback by lifecycle stage: an ordering, not measured probabilities."""

MAX_TRAIN_ROWS = 200_000
"""Training rows above this are subsampled (stratified by label, fixed seed) to keep training fast."""

REASON_CODES: tuple[str, ...] = (
    "churned", "overdue", "spend_down", "detractor", "low_csat", "complaints", "no_followup",
    "never_followed_up", "pattern",
)

PATTERN_REASON_FROM = 0.3
"""A customer at this risk or above with none of the rule reasons is told the model's reason
("overall buying pattern", with the facts it weighs most) rather than nothing."""


@dataclass(frozen=True)
class ChurnResult:
    """Scores with reasons, how they were made, and how good the model was on a later window.

    ``scores``: customer_id, churn_risk (0–1; NaN without any counted order), risk_x_value
    (churn_risk × monetary), churn_reasons (top 3 in words, "；"/"; "-separated), reason_codes
    (the same, as comma-separated codes of ``REASON_CODES``).

    ``quality`` (model path; None values on the rule path): auc, precision_top10, base_rate
    (churn share in the evaluation window), calibration (DataFrame decile, n, mean_predicted,
    observed), n_train, n_eval, n_fit (rows actually fitted), subsampled, compare ({'hgb': auc,
    'logreg': auc}), calibration_method, train_window / eval_window ((from, to) feature and label
    dates), horizon_days, churned_stay_away_rate, seconds ({'features', 'train', 'score'}).
    """

    scores: pd.DataFrame
    method: Literal["model", "rules"]
    model_name: str | None
    quality: dict[str, Any] = field(default_factory=dict)
    note: str = ""


# ---------------------------------------------------------------------------------------------
# Features and labels


def features(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None, at: date,
) -> pd.DataFrame:
    """The model features as of ``at`` (float columns), with customer_id, last_order_date,
    lifecycle_stage and monetary.

    Only data dated ≤ ``at`` is used (``customer_base`` ignores anything later), which is what
    keeps training free of leakage.
    """
    base = customer_base(con, s.with_(as_of=at), f)
    return _with_features(base)


_CARRIED = ("customer_id", "last_order_date", "lifecycle_stage", "monetary")


def _with_features(base: pd.DataFrame) -> pd.DataFrame:
    """Only the columns scoring needs (a million-row customer table is held three times)."""
    out = base[[c for c in dict.fromkeys((*_CARRIED, *FEATURES)) if c in base.columns]].copy()
    for column in FEATURES:
        if column == "recency_gap_ratio":
            continue
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    gap = out["median_gap_days"].where(out["median_gap_days"] > 0)
    out["recency_gap_ratio"] = out["recency_days"] / gap
    return out


def population(frame: pd.DataFrame, s: Settings) -> pd.Series:
    """Customers a warning is for: ordered at least once and not yet churned."""
    recency = frame["recency_days"]
    return recency.notna() & (recency <= s.churn_days)


def no_order_after(frame: pd.DataFrame, later: pd.DataFrame, at: date) -> pd.Series:
    """Label: 1 when the customer's last counted order as of the later date is still ≤ ``at``."""
    last = later.set_index("customer_id")["last_order_date"].reindex(frame["customer_id"])
    ordered = (last > pd.Timestamp(at)).fillna(False).to_numpy(dtype=bool)
    return pd.Series(~ordered, index=frame.index).astype(int)


def _matrix(frame: pd.DataFrame) -> np.ndarray:
    x = frame[list(FEATURES)].to_numpy(dtype="float64", na_value=np.nan).copy()
    for name in _LOG_FEATURES:
        j = FEATURES.index(name)
        x[:, j] = np.log1p(np.clip(x[:, j], 0, None))
    return x


# ---------------------------------------------------------------------------------------------
# Models


HOLDOUT_FROM = 20_000
"""From this many training rows on, calibrate on a held-out third (one model fit) instead of
3-fold cross-validation (three fits, and three models to score with)."""


def _candidates() -> dict[str, Any]:
    """The two uncalibrated models."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "hgb": HistGradientBoostingClassifier(
            max_iter=150, learning_rate=0.06, max_leaf_nodes=15, min_samples_leaf=30,
            l2_regularization=1.0, early_stopping=False, random_state=0,
        ),
        "logreg": make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(max_iter=2_000, C=1.0),
        ),
    }


MODEL_NAMES = {"hgb": "HistGradientBoostingClassifier", "logreg": "LogisticRegression"}


@dataclass
class _Fitted:
    """A fitted, calibrated candidate and the feature columns it saw (all-missing ones are
    dropped: no information, and HistGradientBoosting refuses a column without any value)."""

    model: Any
    columns: np.ndarray
    calibration: str

    def risk(self, x: np.ndarray) -> np.ndarray:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return self.model.predict_proba(x[:, self.columns])[:, 1]


def _fit(name: str, x: np.ndarray, y: np.ndarray) -> _Fitted:
    """Fit and calibrate one candidate.

    Small data: sigmoid (Platt) calibration by 3-fold cross-validation, so every row serves
    both steps; isotonic from 5,000 rows, and from ``HOLDOUT_FROM`` rows a single fit on two
    thirds, calibrated on the stratified remaining third. One thread: OpenMP threads of
    HistGradientBoosting spin against DuckDB and other sessions on a small server (measured:
    600 rows took 1.7 s on 2 busy cores instead of 0.14 s on one).
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    columns = np.flatnonzero(~np.isnan(x).all(axis=0))
    x = x[:, columns]
    model = _candidates()[name]
    method = "isotonic" if len(y) >= 5_000 else "sigmoid"
    with threadpool_limits(limits=1):
        if len(y) >= HOLDOUT_FROM:
            x_fit, x_cal, y_fit, y_cal = train_test_split(
                x, y, test_size=1 / 3, stratify=y, random_state=0)
            model.fit(x_fit, y_fit)
            calibrated = CalibratedClassifierCV(FrozenEstimator(model), method=method)
            calibrated.fit(x_cal, y_cal)
            how = f"{method}, held-out third"
        else:
            calibrated = CalibratedClassifierCV(model, method=method, cv=3)
            calibrated.fit(x, y)
            how = f"{method}, 3-fold"
    return _Fitted(calibrated, columns, how)


def _subsample(x: np.ndarray, y: np.ndarray, cap: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """At most ``cap`` rows, stratified by label, fixed seed."""
    if len(y) <= cap:
        return x, y
    rng = np.random.default_rng(seed)
    keep: list[np.ndarray] = []
    for label in (0, 1):
        idx = np.flatnonzero(y == label)
        take = max(1, round(cap * len(idx) / len(y)))
        keep.append(rng.choice(idx, size=min(take, len(idx)), replace=False))
    rows = np.sort(np.concatenate(keep))
    return x[rows], y[rows]


def precision_at_top(y: np.ndarray, p: np.ndarray, share: float = 0.10) -> float:
    """Share of actual churners among the ``share`` highest-scored customers (ties: stable order)."""
    k = max(1, math.ceil(share * len(y)))
    top = np.argsort(-p, kind="stable")[:k]
    return float(np.mean(y[top]))


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Deciles of predicted risk (equal counts): decile, n, mean_predicted, observed."""
    ranks = pd.Series(p).rank(method="first").to_numpy()
    decile = np.minimum(bins, 1 + np.floor((ranks - 1) * bins / len(p)).astype(int))
    df = pd.DataFrame({"decile": decile, "p": p, "y": y})
    return (
        df.groupby("decile", as_index=False)
        .agg(n=("y", "size"), mean_predicted=("p", "mean"), observed=("y", "mean"))
    )


# ---------------------------------------------------------------------------------------------
# Reasons


def _render(template: str, fields: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """``template.format(**fields)`` for the given rows, column-wise (a million rows in well
    under a second, where one ``str.format`` per row took several). Fields are whole numbers."""
    out = np.full(len(rows), "", dtype=object)
    for literal, name, _spec, _conv in Formatter().parse(template):
        if literal:
            out = out + literal
        if name is not None:
            values = np.rint(fields[name][rows]).astype(np.int64).astype(str).astype(object)
            out = out + values
    return out


def reasons(frame: pd.DataFrame, s: Settings, lang: str = "zh") -> tuple[list[str], list[str]]:
    """Top-3 reasons per row in words and as codes, strongest first ("" when none applies).

    Strength (comparable across reasons, ~0–1; churned always first):
    churned 2; overdue 0.3 + (recency ÷ usual gap − 1) ÷ 3 capped at 1.3 when recency ≥ 1.5 × the
    median gap (single-day buyers: recency ÷ churn_days, from risk_days ÷ 2 on); spend down
    = the drop (≥ 30 %); detractor 0.5 + (6 − NPS) ÷ 12; CSAT 1–2 0.6 / 0.8; complaints
    0.4 + 0.2 × n (≤ 1); no follow-up for longer than ``no_followup_days`` 0.25 + days ÷ 1000
    (≤ 0.5); never followed up 0.15, and only next to another reason (it is true of most
    customers).
    """
    n = len(frame)
    recency = frame["recency_days"].to_numpy(dtype=float, na_value=np.nan)
    gap = frame["median_gap_days"].to_numpy(dtype=float, na_value=np.nan)
    prev = frame["spend_prev_90"].to_numpy(dtype=float, na_value=np.nan)
    trend = frame["spend_trend"].to_numpy(dtype=float, na_value=np.nan)
    nps = frame["last_score_nps"].to_numpy(dtype=float, na_value=np.nan)
    csat = frame["last_csat"].to_numpy(dtype=float, na_value=np.nan)
    complaints = frame["complaint_count"].to_numpy(dtype=float, na_value=0.0)
    since_fu = frame["days_since_followup"].to_numpy(dtype=float, na_value=np.nan)
    ordered = ~np.isnan(recency)

    strength = np.full((n, len(REASON_CODES)), np.nan)
    # (code index, rows it applies to, template, fields): a code may have several wordings.
    variants: list[tuple[int, np.ndarray, str, dict[str, np.ndarray]]] = []

    def put(code: str, mask: np.ndarray, power: np.ndarray | float, key: str,
            **fields: np.ndarray) -> None:
        j = REASON_CODES.index(code)
        strength[mask, j] = power[mask] if isinstance(power, np.ndarray) else power
        variants.append((j, mask, t(key, lang), fields))

    with np.errstate(invalid="ignore", divide="ignore"):
        churned = ordered & (recency > s.churn_days)
        put("churned", churned, 2.0, "ab.reason.churned", days=recency)

        ratio = recency / gap
        late = ordered & ~churned & (gap > 0) & (ratio >= 1.5)
        put("overdue", late, np.minimum(1.3, 0.3 + (ratio - 1) / 3), "ab.reason.overdue",
            days=recency, gap=gap)
        single = ordered & ~churned & np.isnan(gap) & (recency >= s.risk_days / 2)
        put("overdue", single, recency / s.churn_days, "ab.reason.overdue_single", days=recency)

        down = ordered & (prev > 0) & (trend <= -0.3)
        put("spend_down", down, -trend, "ab.reason.spend_down", pct=-100 * trend)

        put("detractor", ordered & (nps <= 6), 0.5 + (6 - nps) / 12, "ab.reason.detractor", score=nps)
        put("low_csat", ordered & (csat <= 2), 0.6 + 0.2 * (2 - csat), "ab.reason.low_csat", score=csat)

        power = np.minimum(1.0, 0.4 + 0.2 * complaints)
        put("complaints", ordered & (complaints == 1), power, "ab.reason.complaint_one")
        put("complaints", ordered & (complaints > 1), power, "ab.reason.complaints", n=complaints)

        stale = ordered & (since_fu > s.no_followup_days)
        put("no_followup", stale, np.minimum(0.5, 0.25 + since_fu / 1000), "ab.reason.no_followup",
            days=since_fu)
        never = ordered & ~churned & np.isnan(since_fu) & ~np.isnan(strength).all(axis=1)
        put("never_followed_up", never, 0.15, "ab.reason.never_followed_up")

    top = np.argsort(-np.nan_to_num(strength, nan=-1.0), axis=1, kind="stable")[:, :3]
    valid = ~np.isnan(np.take_along_axis(strength, top, axis=1))
    words = [np.full(n, "", dtype=object) for _ in range(3)]
    codes = [np.full(n, "", dtype=object) for _ in range(3)]
    for k in range(3):
        for j, mask, template, fields in variants:
            rows = np.flatnonzero(valid[:, k] & (top[:, k] == j) & mask)
            if rows.size:
                words[k][rows] = _render(template, fields, rows)
                codes[k][rows] = REASON_CODES[j]
    sep = "；" if lang == "zh" else "; "
    text, code = words[0], codes[0]
    for k in (1, 2):
        has = valid[:, k]
        text = np.where(has, text + sep + words[k], text)
        code = np.where(has, code + "," + codes[k], code)
    return text.tolist(), code.tolist()


# ---------------------------------------------------------------------------------------------
# Scoring


def _result_frame(base: pd.DataFrame, risk: np.ndarray, s: Settings, lang: str) -> pd.DataFrame:
    words, codes = reasons(base, s, lang)
    with np.errstate(invalid="ignore"):
        silent = np.flatnonzero((np.asarray(codes, dtype=object) == "") & (risk >= PATTERN_REASON_FROM))
    if silent.size:
        fields = {"days": base["recency_days"].to_numpy(dtype=float, na_value=np.nan),
                  "orders": base["orders_total"].to_numpy(dtype=float, na_value=np.nan)}
        text = _render(t("ab.reason.pattern", lang), fields, silent)
        for row, sentence in zip(silent, text, strict=True):
            words[row], codes[row] = sentence, "pattern"
    out = pd.DataFrame({
        "customer_id": base["customer_id"].to_numpy(),
        "churn_risk": risk,
        "risk_x_value": risk * base["monetary"].to_numpy(dtype=float, na_value=np.nan),
        "churn_reasons": words,
        "reason_codes": codes,
    })
    return out


def _rules(base: pd.DataFrame, s: Settings, lang: str, note: str, quality: dict[str, Any]) -> ChurnResult:
    risk = base["lifecycle_stage"].map(RULE_RISK).to_numpy(dtype=float, na_value=np.nan)
    return ChurnResult(
        scores=_result_frame(base, risk, s, lang), method="rules", model_name=None,
        quality=quality, note=note,
    )


@dataclass(frozen=True)
class ChurnModel:
    """What training learned from the history up to ``as_of`` — everything but today's scores.

    Kept apart from scoring so that a follow-up saved today re-scores customers (their
    "days since last follow-up" changed) without re-learning from three years of orders: the
    model is a function of the imported data, the scores also of the plan.
    ``fitted`` is None on the rule path; ``note`` is an i18n key with its values.
    """

    as_of: date
    fitted: _Fitted | None
    model_name: str | None
    quality: dict[str, Any]
    stay_away: float
    note: tuple[str, dict[str, Any]]

    @property
    def method(self) -> Literal["model", "rules"]:
        return "rules" if self.fitted is None else "model"


def train(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None) -> ChurnModel:
    """Choose, calibrate and evaluate the model on the history before ``s.as_of`` (see the module
    docstring), or decide on the rule fallback. Learns from **all** customers: ``f`` is accepted
    for the cache wrappers' signature and ignored (a filter must not change anyone's risk)."""
    clock = time.perf_counter()
    seconds: dict[str, float] = {}
    as_of = resolve_as_of(con, s)
    h = timedelta(days=s.horizon_days)
    d1, d2 = as_of - h, as_of - 2 * h
    now = _with_features(customer_base(con, s.with_(as_of=as_of)))
    mid = _with_features(customer_base(con, s.with_(as_of=d1)))
    old = _with_features(customer_base(con, s.with_(as_of=d2)))
    seconds["features"] = time.perf_counter() - clock

    train_pop, eval_pop = population(old, s), population(mid, s)
    y_train_all = no_order_after(old, mid, d2)
    y_eval_all = no_order_after(mid, now, d1)
    y_train = y_train_all[train_pop].to_numpy()
    y_eval = y_eval_all[eval_pop].to_numpy()
    quality: dict[str, Any] = {
        "auc": None, "precision_top10": None, "calibration": None,
        "n_train": int(train_pop.sum()), "n_eval": int(eval_pop.sum()),
        "compare": {}, "train_window": (d2, d1), "eval_window": (d1, as_of),
        "horizon_days": s.horizon_days, "seconds": seconds,
    }
    gone_then = (mid["recency_days"] > s.churn_days).fillna(False).to_numpy(dtype=bool)
    stay_away = float(y_eval_all[gone_then].mean()) if gone_then.any() else 1.0
    del now

    def rules(key: str, **values: Any) -> ChurnModel:
        return ChurnModel(as_of, None, None, quality, stay_away, (key, values))

    smallest = min(len(y_train), len(y_eval))
    if smallest < s.min_train_customers:
        return rules("ab.note.too_few_customers", n=smallest, min=s.min_train_customers, h=s.horizon_days)
    counts = [int(y.sum()) for y in (y_train, y_eval)] + [int((1 - y).sum()) for y in (y_train, y_eval)]
    if min(counts) < s.min_label_count:
        return rules("ab.note.too_few_labels", churned=min(counts[:2]), stayed=min(counts[2:]),
                     min=s.min_label_count)

    from sklearn.metrics import roc_auc_score

    clock = time.perf_counter()
    x_train, y_fit = _subsample(_matrix(old[train_pop]), y_train, MAX_TRAIN_ROWS)
    del old  # memory: only the matrices are needed from here
    x_eval = _matrix(mid[eval_pop])
    predictions: dict[str, np.ndarray] = {}
    for name in MODEL_NAMES:
        predictions[name] = _fit(name, x_train, y_fit).risk(x_eval)
        quality["compare"][name] = float(roc_auc_score(y_eval, predictions[name]))
    best = max(quality["compare"], key=lambda k: (quality["compare"][k], k == "hgb"))
    p_eval = predictions[best]
    quality.update(
        auc=quality["compare"][best],
        precision_top10=precision_at_top(y_eval, p_eval),
        base_rate=float(y_eval.mean()),
        calibration=calibration_table(y_eval, p_eval),
        subsampled=len(y_fit) < len(y_train),
        n_fit=len(y_fit),
        churned_stay_away_rate=stay_away,
    )

    # Refit the chosen model on the latest labelled window; scoring uses it at as_of.
    x_last, y_last = _subsample(_matrix(mid[eval_pop]), y_eval, MAX_TRAIN_ROWS)
    final = _fit(best, x_last, y_last)
    quality["calibration_method"] = final.calibration
    seconds["train"] = time.perf_counter() - clock
    note = ("ab.note.model", {"model": best, "n": f"{quality['n_train']:,}", "h": s.horizon_days,
                              "auc": quality["auc"], "top": 100 * quality["precision_top10"]})
    return ChurnModel(as_of, final, MODEL_NAMES[best], quality, stay_away, note)


def apply(
    con: duckdb.DuckDBPyConnection, s: Settings, model: ChurnModel, lang: str = "zh",
    base: pd.DataFrame | None = None,
) -> ChurnResult:
    """Score every customer as of ``model.as_of`` with ``model`` (reasons in ``lang``).

    ``base`` is ``customer_base`` of all customers at that date when the caller holds it.
    Customers already churned get the observed stay-away rate; without orders, NaN.
    """
    clock = time.perf_counter()
    now = _with_features(customer_base(con, s.with_(as_of=model.as_of)) if base is None else base)
    key, values = model.note
    if "model" in values:  # the display name in the reader's language (逻辑回归 (LR)), not the class
        values = {**values, "model": t(f"churnpage.model.{values['model']}", lang)}
    note = t(key, lang, **values)
    quality = dict(model.quality)
    if model.fitted is None:
        return _rules(now, s, lang, note, quality)
    risk = np.full(len(now), np.nan)
    scored = population(now, s).to_numpy()
    if scored.any():
        risk[scored] = model.fitted.risk(_matrix(now[scored]))
    gone_now = (now["recency_days"] > s.churn_days).fillna(False).to_numpy(dtype=bool)
    risk[gone_now] = model.stay_away
    scores = _result_frame(now, risk, s, lang)
    quality["seconds"] = {**quality["seconds"], "score": time.perf_counter() - clock}
    return ChurnResult(scores=scores, method="model", model_name=model.model_name, quality=quality, note=note)


def score(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, lang: str = "zh",
    model: ChurnModel | None = None, base: pd.DataFrame | None = None,
) -> ChurnResult:
    """Churn risk of every customer as of ``s.as_of`` with reasons, by model or by rules.

    Model path: see the module docstring. Customers already churned at as_of get the share of
    customers churned at as_of − h who still had no order by as_of (their observed stay-away
    rate); customers without any counted order get NaN. Rule path (fewer than
    ``min_train_customers`` in a training window, or fewer than ``min_label_count`` of either
    label): the lifecycle stage's ``RULE_RISK``, and the note says why.

    The model learns from **all** customers and only the returned rows follow ``f`` (sidebar
    filters, row scope): a customer's risk must not change with the filter, and a small
    owner's book alone is too small to learn from. Only aggregates of the others (counts, AUC)
    appear in ``quality``. ``model`` (from ``train`` with the same settings) and ``base`` (all
    customers as of as_of) skip the work when the caller has them cached.
    """
    result = apply(con, s, model or train(con, s), lang, base)
    if f is None or f.is_empty():
        return result
    where, params = customer_where(f, "c")
    visible = con.execute(
        f"SELECT DISTINCT customer_id FROM customers c WHERE {where}", params  # noqa: S608 - bound values
    ).df()["customer_id"]
    scores = result.scores[result.scores["customer_id"].isin(visible)].reset_index(drop=True)
    return replace(result, scores=scores)
