"""AppTest of the Churn-warning page: the ranked list is core's, filters narrow it, model quality is
shown, ticked customers become follow-ups through core.followup, viewers cannot create them."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import auth, customer360, db
from core.i18n import t
from core.metrics import churn
from core.metrics.base import customer_base
from core.settings import Settings
from tests.app.signed_in import signed_in_app
from tests.conftest import DEMO_END
from ui import format as fmt
from ui import gate

ROOT = Path(__file__).resolve().parents[2]
S = Settings(as_of=DEMO_END)
NOT_CHURNED = ("potential", "new", "active", "loyal", "at_risk")


def open_page(db_path: Path, monkeypatch: pytest.MonkeyPatch, username: str = "boss",
              state: dict | None = None, **params: str) -> AppTest:
    """app.py signed in as ``username`` (the gate's session record), then the Churn page."""
    at = signed_in_app(db_path, monkeypatch, username, timeout=300, **params)
    at.switch_page("pages/churn.py")
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def expected_list(db_path: Path, lang: str = "en", **kw) -> tuple[customer360.WarningList, churn.ChurnResult]:
    con = db.connect(db_path)
    try:
        base = customer_base(con, S, None)
        result = churn.score(con, S, None, lang)
        kw.setdefault("stages", NOT_CHURNED)
        kw.setdefault("min_risk", 0.5)
        return customer360.warning_list(con, base, result.scores, **kw), result
    finally:
        con.close()


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r} in {[m.label for m in at.metric]}"
    return values[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_ranked_list_and_totals_are_cores(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang=lang)
    wl, result = expected_list(demo_db_copy, lang)
    assert at.title[0].value == t("nav.churn", lang)
    table = at.dataframe[0].value
    # default view: risk ≥ 50 %, already churned customers left out, ranked by risk × value
    assert [link.rsplit("customer=", 1)[1] for link in table["link"]] == wl.rows["customer_id"].tolist()
    assert table["risk_x_value"].is_monotonic_decreasing
    assert list(table["churn_risk"]) == [fmt.risk(p) for p in wl.rows["churn_risk"]]
    assert (wl.rows["churn_risk"] >= 0.5).all()
    assert table["churn_reasons"].iloc[0] == wl.rows["churn_reasons"].iloc[0] != ""
    # the card says what it counts: risk at least the slider's 50 %, not the lifecycle stage
    assert metric(at, t("churnpage.kpi.warned", lang, min="50")) == fmt.count(wl.total)
    assert metric(at, t("churnpage.kpi.high", lang, high="60")) == fmt.count(
        wl.levels.set_index("level").loc["high", "customers"])
    assert metric(at, t("churnpage.kpi.at_risk", lang)) == fmt.money(wl.value_at_risk, lang)
    # the model's own note with the catalogue's display name, and its quality in numbers
    assert result.method == "model"
    code = next(k for k, v in churn.MODEL_NAMES.items() if v == result.model_name)
    shown = t(f"churnpage.model.{code}", lang)
    assert at.success[0].value == result.note.replace(result.model_name, shown)
    assert not any(name in at.success[0].value for name in churn.MODEL_NAMES.values())
    assert any(c.value.startswith(shown + ":") or c.value.startswith(shown + "：") for c in at.caption)
    assert metric(at, t("ab.churn.auc", lang)) == f"{result.quality['auc']:.2f}"


def test_filters_narrow_the_list(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang="en")
    at.multiselect(key="churn.tiers").set_value(["A"]).run()
    at.slider(key="churn.min_risk").set_value(80).run()
    assert not at.exception, at.exception
    wl, _ = expected_list(demo_db_copy, tiers=("A",), min_risk=0.8)
    assert metric(at, "Churn risk ≥ 80 %") == fmt.count(wl.total)
    table = at.dataframe[0].value
    assert len(table) == len(wl.rows) and (wl.rows["churn_risk"] >= 0.8).all()
    assert all(tier == ["A"] for tier in table["abc_tier"])


def test_including_churned_customers_lists_more(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang="en")
    at.toggle(key="churn.include_churned").set_value(True).run()
    wl, _ = expected_list(demo_db_copy, stages=())
    assert metric(at, "Churn risk ≥ 50 %") == fmt.count(wl.total)
    assert wl.total > expected_list(demo_db_copy)[0].total


def test_ticked_customers_become_follow_ups(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wl, _ = expected_list(demo_db_copy)
    picked = wl.rows["customer_id"].tolist()[:2]
    at = open_page(demo_db_copy, monkeypatch, lang="en",
                   state={"churn.table.0": {"selection": {"rows": [0, 1], "columns": []}}})
    assert at.session_state["followup.candidates"] == picked
    at.button(key="churn.plan").click().run()
    assert not at.exception, at.exception
    preview = at.session_state["churn.preview"]
    assert preview["customer_id"].tolist() == picked
    todo = int(preview["skip_reason"].isna().sum())
    con = db.connect(demo_db_copy)
    try:
        before = con.execute("SELECT count(*) FROM followups WHERE source = 'churn_warning'").fetchall()[0][0]
    finally:
        con.close()
    at.button(key="churn.create").click().run()
    assert not at.exception, at.exception
    assert at.success[-1].value == t("churnpage.created", "en", n=todo)
    con = db.connect(demo_db_copy)
    try:
        rows = con.execute("SELECT customer_id FROM followups WHERE source = 'churn_warning' "
                           "ORDER BY followup_id").fetchall()
    finally:
        con.close()
    assert len(rows) == before + todo
    created = {r[0] for r in rows[before:]}
    assert created <= set(picked)


def test_viewer_sees_the_list_but_cannot_plan(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, username="guest", lang="en")
    assert len(at.dataframe) >= 1
    assert t("churnpage.plan_readonly", "en") in [i.value for i in at.info]
    assert not [b for b in at.button if b.key == "churn.plan"]


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    """A shop of 150 customers: too small to train a model (METRICS.md: fewer than 200)."""
    from core import demo
    from tests.conftest import PASSWORD

    path = tmp_path / "small.duckdb"
    con = db.connect(path)
    demo.build_demo(con, customers=150, seed=7, end=DEMO_END)
    auth.add_user(con, "boss", PASSWORD, "admin", actor="test")
    con.close()
    return path


def test_rule_fallback_is_said_clearly(small_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(small_db, monkeypatch, lang="en")
    con = db.connect(small_db)
    try:
        result = churn.score(con, S, None, "en")
    finally:
        con.close()
    assert result.method == "rules"
    assert at.warning[0].value == t("churnpage.rules_banner", "en") + " " + result.note
    assert t("churnpage.quality_rules", "en") in [i.value for i in at.info]
    assert not [m for m in at.metric if m.label == t("ab.churn.auc", "en")]


@pytest.fixture
def customers_only_db(tmp_path: Path) -> Path:
    """A customer file imported, but no orders and no surveys yet."""
    from tests.conftest import PASSWORD

    path = tmp_path / "fresh.duckdb"
    con = db.connect(path)
    con.execute("INSERT INTO imports (import_id, kind, file_name) VALUES (1, 'customers', 'c.csv')")
    con.execute("INSERT INTO customers (customer_id, name, owner, region) "
                "SELECT 'C' || i, 'name ' || i, 'wang', 'east' FROM range(1, 11) r(i)")
    auth.add_user(con, "boss", PASSWORD, "admin", actor="test")
    con.close()
    return path


@pytest.mark.parametrize("page", ["churn", "customers", "satisfaction"])
def test_pages_without_orders_or_surveys_explain_instead_of_failing(
    customers_only_db: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    monkeypatch.setenv("KEHU_DB", str(customers_only_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "en"
    con = db.connect(customers_only_db)
    try:
        at.session_state[gate.SESSION_KEY] = gate.session_record(auth.get_user(con, "boss"))
    finally:
        con.close()
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    expected = {"churn": "churnpage.empty", "satisfaction": "sat.empty", "customers": "cust.pick_prompt"}[page]
    assert t(expected, "en") in [i.value for i in at.info]
    if page == "customers":  # the ten customers are listed, without scores
        table = at.dataframe[0].value
        assert len(table) == 10 and table["churn_risk"].isna().all()


def test_changing_a_filter_clears_the_ticks(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang="en",
                   state={"churn.table.0": {"selection": {"rows": [0], "columns": []}}})
    assert len(at.session_state["followup.candidates"]) == 1
    at.slider(key="churn.min_risk").set_value(70).run()
    assert at.session_state["followup.candidates"] == []


def test_every_code_shown_on_the_three_pages_has_a_text() -> None:
    from core import followup
    from core.i18n import has

    keys = ([f"cust.sort.{s}" for s in ("monetary", "risk_x_value", "risk", "last_order", "orders", "name",
                                        "customer_id")]
            + [f"churnpage.risk.{k}" for k in ("high", "medium", "low")]
            + [f"churnpage.model.{m}" for m in churn.MODEL_NAMES]
            + [f"followup.action.{a}" for a in followup.ACTIONS]
            + [f"followup.status.{s}" for s in followup.STATUSES]
            + [f"cust.op.{o}" for o in ("create", "update", "delete")]
            + [f"sat.by.{b}" for b in ("segment", "region", "channel", "owner")])
    assert [k for k in keys if not has(k)] == []


def test_customers_without_account_manager_go_to_the_fallback_and_zero_offers_no_button(
    demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CDNOW case: the customer file has no account-manager column."""
    con = db.connect(demo_db_copy)
    try:
        con.execute("UPDATE customers SET owner = NULL")
    finally:
        con.close()
    wl, _ = expected_list(demo_db_copy)
    picked = wl.rows["customer_id"].tolist()[:2]
    at = open_page(demo_db_copy, monkeypatch, lang="en",
                   state={"churn.table.0": {"selection": {"rows": [0, 1], "columns": []}}})
    # nobody has an account manager: the list has no owner column
    assert "owner" not in at.dataframe[0].value.columns
    # the signed-in admin is the default fallback; choosing nobody would create nothing
    assert at.selectbox(key="churn.fallback").value == "boss"
    at.selectbox(key="churn.fallback").set_value("")
    at.button(key="churn.plan").click().run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.key == "churn.create"]  # no "Create 0"
    assert [b.key for b in at.button if b.key == "churn.cancel"] == ["churn.cancel"]
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith(t("followup.gen.nothing", "en"))
    assert "no account manager and no fallback assignee chosen: 2 customer(s)" in warning
    assert t("churnpage.preview_none", "en") in [m.value.strip("*") for m in at.markdown]
    # with the fallback both are planned for boss, and the preview says why
    at.selectbox(key="churn.fallback").set_value("boss")
    at.button(key="churn.plan").click().run()
    preview = at.dataframe[-1].value
    assert list(preview["owner"]) == ["boss", "boss"]
    assert list(preview["assigned_because"]) == ["no account manager → boss"] * 2
    assert "customer_owner" not in preview.columns  # empty for every row: not shown
    assert "skip_reason" not in preview.columns  # nobody skipped: no empty column either
    at.button(key="churn.create").click().run()
    assert not at.exception, at.exception
    assert at.success[-1].value == t("churnpage.created", "en", n=2)
    con = db.connect(demo_db_copy)
    try:
        made = con.execute("SELECT customer_id, owner FROM followups WHERE source = 'churn_warning' "
                           "ORDER BY customer_id").fetchall()
    finally:
        con.close()
    assert made == sorted((c, "boss") for c in picked)
