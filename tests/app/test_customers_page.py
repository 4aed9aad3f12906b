"""AppTest of the Customers page: the list is core's page of customers, search and paging work,
the 360 profile shows core's numbers, viewers see contacts masked, managers only their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import auth, customer360, db
from core.filters import Filters
from core.i18n import t
from core.metrics.base import customer_base
from core.settings import Settings
from tests.app.signed_in import signed_in_app
from tests.conftest import DEMO_END
from ui import format as fmt

ROOT = Path(__file__).resolve().parents[2]
S = Settings(as_of=DEMO_END)


def open_page(db_path: Path, monkeypatch: pytest.MonkeyPatch, username: str = "boss",
              **params: str) -> AppTest:
    """app.py signed in as ``username`` (the gate's session record), then the Customers page."""
    at = signed_in_app(db_path, monkeypatch, username, timeout=180, **params)
    at.switch_page("pages/customers.py")
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def core_page(db_path: Path, f: Filters | None = None, **kw) -> customer360.CustomerPage:
    con = db.connect(db_path)
    try:
        return customer360.customer_list(con, customer_base(con, S, f), None, **kw)
    finally:
        con.close()


def user_scope(db_path: Path, username: str) -> tuple[str, ...] | None:
    con = db.connect(db_path)
    try:
        return auth.scope_for(auth.get_user(con, username), con)
    finally:
        con.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_list_is_the_first_page_by_spend(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang=lang)
    assert at.title[0].value == t("nav.customers", lang)
    table = at.dataframe[0].value
    expected = core_page(demo_db_copy, sort="monetary", limit=50)
    assert len(table) == 50  # limited in SQL, not the 2,000 customers
    assert table["customer_id"].tolist() == expected.rows["customer_id"].tolist()
    assert table["monetary"].is_monotonic_decreasing
    assert table["rfm_segment"].iloc[0] == [expected.rows["rfm_segment"].iloc[0]]  # a badge cell
    assert any(f"{expected.total:,}" in c.value for c in at.caption)
    assert at.info[-1].value == t("cust.pick_prompt", lang)


def test_search_finds_by_name_and_next_page_moves_on(demo_db_copy: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang="en")
    at.button(key="cust.next").click().run()
    second = at.dataframe[0].value
    expected = core_page(demo_db_copy, sort="monetary", limit=50, offset=50)
    assert second["customer_id"].tolist() == expected.rows["customer_id"].tolist()

    name = expected.rows["name"].iloc[0]
    at.text_input(key="cust.q").input(name).run()
    found = at.dataframe[0].value
    assert name in found["name"].tolist()
    assert found["name"].str.lower().str.contains(name.lower(), regex=False).all()
    assert len(found) == core_page(demo_db_copy, query=name).total


def test_sort_by_churn_risk_puts_highest_risk_first(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang="en")
    at.selectbox(key="cust.sort").set_value("risk").run()
    risk = at.dataframe[0].value["churn_risk"]
    assert risk.notna().all() and risk.is_monotonic_decreasing


def test_profile_shows_core_numbers(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    top = core_page(demo_db_copy, sort="monetary", limit=1).rows.iloc[0]
    at = open_page(demo_db_copy, monkeypatch, lang="en", customer=top["customer_id"])
    con = db.connect(demo_db_copy)
    try:
        prof = customer360.profile(con, S, None, top["customer_id"])
    finally:
        con.close()
    assert at.subheader[0].value == f"{top['name']} · {top['customer_id']}"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Net spend"] == fmt.money(prof.net_spend, "en")
    assert metrics["Orders"] == fmt.count(top["orders_total"])
    # the customer file's phone, unmasked for an admin
    assert any(prof.details["phone"] in m.value for m in at.markdown)
    tables = at.dataframe
    assert tables[1].value["order_id"].tolist() == prof.orders["order_id"].tolist()


def test_unknown_customer_is_a_warning_not_an_error(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang="en", customer="NOPE")
    assert at.warning and "NOPE" in at.warning[0].value


def test_viewer_sees_contacts_masked_and_cannot_search_phones(demo_db_copy: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    top = core_page(demo_db_copy, sort="monetary", limit=1).rows.iloc[0]
    at = open_page(demo_db_copy, monkeypatch, username="guest", lang="en", customer=top["customer_id"])
    phones = at.dataframe[0].value["phone"].dropna()
    assert len(phones) and phones.str.contains(r"\*\*\*\*").all()
    shown = "\n".join(m.value for m in at.markdown)
    assert top["phone"] not in shown and auth.mask_phone(top["phone"]) in shown
    at.text_input(key="cust.q").input(top["phone"]).run()
    assert at.info[0].value == t("cust.no_match", "en", q=top["phone"])


def test_manager_lists_only_own_customers(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scope = user_scope(demo_db_copy, "lina")
    own = core_page(demo_db_copy, Filters(scope_owners=scope), limit=50)
    everyone = core_page(demo_db_copy, limit=1)
    assert 0 < own.total < everyone.total
    at = open_page(demo_db_copy, monkeypatch, username="lina", lang="en")
    table = at.dataframe[0].value
    assert set(table["owner"]) <= set(scope)
    assert any(f"{own.total:,}" in c.value for c in at.caption)
    # someone else's customer cannot be opened by URL
    other = everyone.rows["customer_id"].iloc[0]
    if other not in set(own.rows["customer_id"]):
        at = open_page(demo_db_copy, monkeypatch, username="lina", lang="en", customer=other)
        assert at.warning and not [m for m in at.metric if m.label == "Net spend"]
