"""AppTest of the Segments page: numbers equal core's, filters narrow them, drill-down lists pages.

The page runs on its own with the ``Ctx`` app.py would build (``st.session_state["kehu.ctx"]``),
so these tests do not depend on the sign-in gate; app.py + page is covered by test_app_shell.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import db
from core.filters import NO_FILTER, Filters
from core.metrics import segments
from core.settings import Settings
from ui import context

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "segments.py")


def run_page(db_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str = "en",
             filters: Filters = NO_FILTER, **params: str) -> AppTest:
    monkeypatch.setenv("KEHU_DB", str(db_path))
    con = context.cursor()
    at = AppTest.from_file(PAGE, default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.session_state[context.CTX_KEY] = context.Ctx(
        con=con, lang=lang, settings=Settings(as_of=context.latest_order_date(con)), filters=filters,
        data_version=db.data_version(con))
    at.run()
    assert not at.exception, at.exception
    return at


def core_summary(db_path: Path, filters: Filters = NO_FILTER) -> pd.DataFrame:
    con = context._connection(str(db_path)).cursor()  # this file, whatever KEHU_DB says
    return segments.summary(con, Settings(as_of=context.latest_order_date(con)), filters)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_kpis_equal_core(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    at = run_page(demo_db_copy, monkeypatch, lang)
    summary = core_summary(demo_db_copy).set_index("segment")
    values = list(metrics(at).values())
    assert values[0] == f"{int(summary['customers'].sum()):,}"  # customers with orders
    assert values[1] == f"{summary.loc['champions', 'customer_share']:.1%}"
    assert values[3] == f"{int(summary.loc['important_win_back', 'customers']):,}"
    assert at.title[0].value == ("客户细分" if lang == "zh" else "Segments")
    assert not at.error


def test_region_filter_narrows_the_numbers(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    everyone = int(core_summary(demo_db_copy)["customers"].sum())
    east = Filters(regions=("华东",))
    at = run_page(demo_db_copy, monkeypatch, "en", east)
    expected = int(core_summary(demo_db_copy, east)["customers"].sum())
    assert 0 < expected < everyone
    assert metrics(at)["Customers with paid orders"] == f"{expected:,}"


def test_drill_down_lists_the_segment_page_by_page(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "en")
    assert len(at.dataframe) == 2  # segment and ABC tables until a segment is chosen
    at.selectbox(key="seg.drill").set_value("general_develop").run()
    assert not at.exception, at.exception
    con = context.cursor()
    s = Settings(as_of=context.latest_order_date(con))
    first_page = segments.members(con, s, Filters(), segment="general_develop", limit=50, offset=0)
    total = int(first_page["total"].iloc[0])
    assert total > 50  # the demo has several pages of 一般发展客户
    assert len(at.dataframe) == 3
    listed = at.dataframe[0].value
    assert len(listed) == 50
    assert listed.iloc[0, 0] == first_page["customer_id"].iloc[0]
    assert f"{total:,} customers" in " ".join(c.value for c in at.caption)

    at.number_input(key="seg.page").set_value(2).run()
    second = segments.members(con, s, Filters(), segment="general_develop", limit=50, offset=50)
    assert at.dataframe[0].value.iloc[0, 0] == second["customer_id"].iloc[0]
    assert len(at.get("download_button")) == 2  # CSV and Excel, built only when clicked


def test_a_link_with_a_segment_opens_its_list(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "zh", segment="important_win_back")
    assert at.selectbox(key="seg.drill").value == "important_win_back"
    assert at.subheader[0].value == "重要挽留客户：客户名单"
    at.selectbox(key="seg.drill").set_value(None).run()
    assert "segment" not in at.query_params


def test_breakdown_by_owner(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "zh")
    at.segmented_control(key="seg.by").set_value("owner").run()
    assert not at.exception, at.exception


def test_no_customers_gives_a_helpful_empty_state(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "en", Filters(regions=("nowhere",)))
    assert not at.error
    assert at.info and "No customers with orders" in at.info[0].value
    assert not at.metric


def test_empty_score_columns_are_explained(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = db.connect(demo_db_copy)
    # 1,400 of 2,000 customers keep only their first order: F = 1 for most → tied, never split
    con.execute("""
        DELETE FROM orders o
        WHERE o.customer_id IN (SELECT customer_id FROM customers ORDER BY customer_id LIMIT 1400)
          AND o.order_id <> (SELECT min(order_id) FROM orders x WHERE x.customer_id = o.customer_id)""")
    con.close()
    at = run_page(demo_db_copy, monkeypatch, "en")
    rf = segments.rf_heatmap(context.cursor(), Settings(as_of=context.latest_order_date(context.cursor())))
    empty_f = [f"F {s}" for s, n in rf.groupby("f_score")["customers"].sum().items() if n == 0]
    assert empty_f  # the tie left whole F columns empty
    notes = [c.value for c in at.caption if c.value.startswith("No customer has")]
    assert len(notes) == 1 and all(f in notes[0] for f in empty_f)
    zh = run_page(demo_db_copy, monkeypatch, "zh")
    assert [c.value for c in zh.caption if "没有客户" in c.value]
