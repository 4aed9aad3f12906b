"""AppTest of the follow-up plan page: edit and save, conflicts, validation, generate, read-only.

AppTest cannot type into ``st.data_editor``; it seeds the editor's edit state (edited_rows,
added_rows, deleted_rows) through ``at.session_state`` exactly as the browser would send it, and
the page then runs its real Save path (``changes_from_editor`` → ``save_changes``).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from core import followup as fu
from core.filters import Filters
from core.followup import Actor
from core.i18n import t
from core.settings import Settings
from ui import context

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "followup.py")
SOON = date.today() + timedelta(days=3)
ADMIN = Actor("admin", "admin")


@pytest.fixture
def con(tmp_path, monkeypatch):
    """A small shop of our own (not the demo): wang owns C1, C2; li owns C3, C4; C2 and C4 lapsed."""
    path = tmp_path / "kehu.duckdb"
    monkeypatch.setenv("KEHU_DB", str(path))
    st.cache_data.clear()  # cached core calls are keyed on data version, not on the file
    con = db.connect(path)
    con.executemany("INSERT INTO customers (customer_id, name, owner) VALUES (?, ?, ?)",
                    [("C1", "甲公司", "wang"), ("C2", "乙公司", "wang"), ("C3", "丙公司", "li"),
                     ("C4", "丁公司", "li")])
    today = date.today()
    con.executemany(
        "INSERT INTO orders (order_id, customer_id, order_date, amount) VALUES (?, ?, ?, ?)",
        [("O1", "C1", today - timedelta(days=5), 100), ("O2", "C2", today - timedelta(days=120), 900),
         ("O3", "C3", today - timedelta(days=10), 200), ("O4", "C4", today - timedelta(days=130), 500)],
    )
    fu.save_changes(con, Actor("seed", "admin"), [
        {"op": "create", "customer_id": "C1", "owner": "wang", "action": "call", "due_date": SOON},
        {"op": "create", "customer_id": "C3", "owner": "li", "action": "visit", "due_date": SOON},
    ])
    yield con
    con.close()


def run(user=ADMIN, filters: Filters | None = None) -> AppTest:
    """The page as app.py runs it after sign-in: app.py hands over the context (user, row scope)."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    cur = context.cursor()
    at.session_state[context.CTX_KEY] = context.Ctx(
        con=cur, lang="zh", settings=Settings(as_of=date.today()),
        filters=filters or Filters(), user=user, data_version=db.data_version(cur))
    return at.run()


def editor(at: AppTest):
    (ed,) = at.data_editor
    return ed


def edit(at: AppTest, edited=None, added=None, deleted=None) -> AppTest:
    """Seed the editor's edit state the way the browser reports it, and rerun."""
    at.session_state[editor(at).key] = {"edited_rows": edited or {}, "added_rows": added or [],
                                        "deleted_rows": deleted or []}
    return at.run()


def save(at: AppTest) -> AppTest:
    return at.button(key="followup.save").click().run()


def stored(con, customer_id: str) -> dict:
    cur = con.execute("SELECT note, status, outcome, version, updated_by FROM followups "
                      "WHERE customer_id = ? AND NOT deleted ORDER BY followup_id", [customer_id])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    return dict(zip(names, rows[-1], strict=True)) if rows else {}


def test_page_shows_the_plan_without_errors(con):
    at = run()
    assert not at.exception and not at.error
    table = editor(at).value
    assert list(table["customer_id"]) == ["C1", "C3"]
    assert editor(at).editing_mode == "dynamic"
    assert at.button(key="followup.save").disabled  # nothing to save yet


def test_edit_a_cell_and_save(con):
    at = run()
    at = edit(at, edited={0: {"note": "已电话沟通", "status": "done", "outcome": "reached"}})
    assert [w.value for w in at.warning] == [t("followup.unsaved", n=1)]
    # switching section or view would drop the editor's edits: locked until saved or discarded
    assert at.segmented_control(key="followup.section").disabled
    assert at.segmented_control(key="followup.view").disabled
    at = save(at)
    assert not at.exception and not at.error
    assert any("1" in s.value for s in at.success)
    row = stored(con, "C1")
    assert (row["note"], row["status"], row["outcome"], row["version"], row["updated_by"]) == (
        "已电话沟通", "done", "reached", 2, "admin")
    assert stored(con, "C3")["version"] == 1  # untouched rows are not written
    # the table was reloaded: done rows are hidden by default, shown with the toggle, and the
    # new version is what the next save will hand back
    assert not at.warning
    assert list(editor(at).value["customer_id"]) == ["C3"]
    at = at.toggle(key="followup.closed").set_value(True).run()
    assert list(editor(at).value["version"]) == [2, 1]


def test_add_and_delete_rows(con):
    at = run()
    at = edit(at, added=[{"customer_id": "C2", "owner": "wang", "action": "email",
                          "due_date": SOON.isoformat(), "status": "planned"}], deleted=[1])
    at = save(at)
    assert not at.error
    assert stored(con, "C2")["version"] == 1 and stored(con, "C3") == {}
    assert sorted(editor(at).value["customer_id"]) == ["C1", "C2"]


def test_row_changed_underneath_is_refused_with_both_versions(con):
    at = run()
    # someone else saves row C1 after this page loaded it
    fid = con.execute("SELECT followup_id FROM followups WHERE customer_id = 'C1'").fetchall()[0][0]
    fu.save_changes(con, Actor("li_u", "manager", owner_name="li"),
                    [{"op": "update", "followup_id": fid, "version": 1, "note": "theirs"}])
    at = edit(at, edited={0: {"note": "mine"}, 1: {"note": "fine"}})
    at = save(at)
    assert not at.exception
    (err,) = at.error
    # who changed it, the version now and the version this page loaded (page language: zh)
    assert "li_u" in err.value and "当前版本 2" in err.value and "载入的是版本 1" in err.value
    sides = at.dataframe[0].value  # theirs above yours
    assert list(sides[t("followup.col.note")]) == ["theirs", "mine"]
    assert list(sides[t("followup.col.version")]) == ["2", "1"]
    assert stored(con, "C1")["note"] == "theirs"       # not overwritten
    assert stored(con, "C3")["note"] == "fine"         # the other row still saved
    assert list(editor(at).value["note"]) == ["theirs", "fine"]  # reloaded to the latest


def test_invalid_row_is_refused_with_its_reason(con):
    at = run()
    at = edit(at, edited={0: {"status": "done"}})  # done without an outcome
    at = save(at)
    (err,) = at.error
    assert t("followup.refuse.outcome_required", row="#1") in err.value
    typed = at.dataframe[0].value  # what the refused row tried to write stays visible
    assert list(typed[t("followup.col.row")]) == ["#1"]
    assert list(typed[t("followup.col.status")]) == [t("followup.status.done")]
    assert stored(con, "C1")["status"] == "planned"


def test_generate_from_warnings_previews_then_creates(con):
    at = run()
    at.segmented_control(key="followup.section").set_value("generate").run()
    assert not at.exception
    at.number_input(key="followup.gen.top_n").set_value(3)
    at = next(b for b in at.button if b.label == t("followup.gen.preview")).click().run()
    assert not at.exception and not at.error
    preview = at.dataframe[0].value
    # C2 (900 spent, silent 120 days) and C4 (500, 130 days) carry the most risk × value; the
    # third has an open follow-up already (C1 and C3 both do) and is shown as skipped
    assert list(preview[t("followup.col.customer_id")])[:2] == ["C2", "C4"]
    assert list(preview[t("followup.col.skip_reason")]) == ["", "", t("followup.skip.open_followup")]
    create = at.button(key="followup.gen.create")
    assert create.label == t("followup.gen.create", n=2)
    at = create.click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [t("followup.gen.created", n=2)]
    made = con.execute("SELECT customer_id, owner, action, due_date FROM followups "
                       "WHERE source = 'churn_warning' ORDER BY customer_id").fetchall()
    tomorrow = date.today() + timedelta(days=1)
    assert made == [("C2", "wang", "call", tomorrow), ("C4", "li", "call", tomorrow)]


def test_statistics_section_shows_done_over_planned_per_owner_and_week(con):
    fid = con.execute("SELECT followup_id FROM followups WHERE customer_id = 'C1'").fetchall()[0][0]
    fu.save_changes(con, Actor("admin", "admin"), [{"op": "update", "followup_id": fid, "version": 1,
                                 "status": "done", "outcome": "reached"}])
    at = run()
    at.segmented_control(key="followup.section").set_value("stats").run()
    assert not at.exception and not at.error
    weekly = at.dataframe[0].value  # owners × weeks; both follow-ups are due in SOON's week
    week = fu.week_start(SOON).strftime("%m-%d")
    assert weekly[week].to_dict() == {"li": "0 / 1", "wang": "1 / 1"}


def test_viewer_sees_the_plan_read_only(con):
    at = run(user=Actor("guest", "viewer"))
    assert not at.exception
    assert t("followup.readonly") in [i.value for i in at.info]
    assert not [b for b in at.button if b.key == "followup.save"]


def test_manager_sees_only_own_customers(con):
    at = run(user=Actor("wang_u", "manager", owner_name="wang"), filters=Filters(scope_owners=("wang",)))
    assert not at.exception
    assert list(editor(at).value["customer_id"]) == ["C1"]


def test_by_customer_view_shows_its_rows_and_change_history(con):
    at = run()
    at = save(edit(at, edited={0: {"note": "回访"}}))
    at = at.selectbox(key="followup.customer").set_value("C1").run()
    assert not at.exception
    assert list(editor(at).value["customer_id"]) == ["C1"]
    (hist,) = [d.value for d in at.dataframe if t("followup.col.op") in d.value.columns]
    assert list(hist[t("followup.col.op")]) == [t("followup.op.create"), t("followup.op.update")]
    assert list(hist[t("followup.col.changed_by")]) == ["seed", "admin"]
    assert "note:  → 回访" in hist[t("followup.col.changes")].iloc[1]


def test_large_customer_base_uses_typed_ids_instead_of_dropdowns(con):
    con.execute("INSERT INTO customers (customer_id, name, owner) "
                "SELECT 'X' || i, 'x', 'wang' FROM range(5000) t(i)")  # 5,004 customers in all
    at = run()
    assert not at.exception
    at = at.text_input(key="followup.customer").input("C3").run()
    assert list(editor(at).value["customer_id"]) == ["C3"]
    at.segmented_control(key="followup.section").set_value("generate").run()
    at.text_input(key="followup.gen.pick").input("C2，C4")
    at = next(b for b in at.button if b.label == t("followup.gen.preview")).click().run()
    assert not at.exception and not at.error
    assert list(at.dataframe[0].value[t("followup.col.customer_id")]) == ["C2", "C4"]


def test_idle_table_follows_others_saves_but_an_edited_one_keeps_its_snapshot(con):
    at = run()
    fid = con.execute("SELECT followup_id FROM followups WHERE customer_id = 'C3'").fetchall()[0][0]
    other = Actor("li_u", "manager", owner_name="li")
    fu.save_changes(con, other, [{"op": "update", "followup_id": fid, "version": 1, "note": "v2"}])
    at = at.run()  # nothing edited here: the next rerun shows their change
    assert list(editor(at).value["note"].fillna("")) == ["", "v2"]
    at = edit(at, edited={0: {"note": "mine"}})
    fu.save_changes(con, other, [{"op": "update", "followup_id": fid, "version": 2, "note": "v3"}])
    at = at.run()  # editing: the table is not swapped under the user's hands
    assert list(editor(at).value["note"].fillna("")) == ["", "v2"]
    assert [w.value for w in at.warning] == [t("followup.unsaved", n=1)]


@pytest.fixture
def no_owner(con):
    """Two more customers without an account manager: C5 lapsed 100 days (900 spent), C6 gone
    200 days (5,000 spent: churned, so left out unless asked for); the admin is a user."""
    con.executemany("INSERT INTO customers (customer_id, name, owner) VALUES (?, ?, NULL)",
                    [("C5", "戊公司"), ("C6", "己公司")])
    today = date.today()
    con.executemany("INSERT INTO orders (order_id, customer_id, order_date, amount) VALUES (?, ?, ?, ?)",
                    [("O5", "C5", today - timedelta(days=100), 900), ("O6", "C6", today - timedelta(days=200), 5000)])
    con.execute("INSERT INTO users (username, display_name, role, password_hash) "
                "VALUES ('admin', 'Boss', 'admin', 'x')")
    return con


def preview_button(at: AppTest):
    return next(b for b in at.button if b.label == t("followup.gen.preview"))


def test_generate_assigns_customers_without_manager_to_the_fallback_and_skips_churned(no_owner):
    at = run()
    at.segmented_control(key="followup.section").set_value("generate").run()
    assert at.selectbox(key="followup.gen.fallback").value == "admin"  # the signed-in user
    at.number_input(key="followup.gen.top_n").set_value(3)
    at = preview_button(at).click().run()
    assert not at.exception and not at.error
    preview = at.dataframe[0].value.set_index(t("followup.col.customer_id"))
    # C6 (churned) is left out; C5, C2, C4 are the top 3 by risk × value
    assert "C6" not in preview.index and set(preview.index) == {"C2", "C4", "C5"}
    assert preview.loc["C5", t("followup.col.owner")] == "admin"
    assert preview.loc["C5", t("followup.col.customer_owner")] == "—"  # never the word None
    assert preview.loc["C5", t("followup.col.assigned_because")] == "无客户经理 → 分配给 admin"
    assert preview.loc["C2", t("followup.col.assigned_because")] == "客户经理本人"
    assert "None" not in preview.to_string()
    at.checkbox(key="followup.gen.include_churned").check()
    at = preview_button(at).click().run()
    assert "C6" in list(at.dataframe[0].value[t("followup.col.customer_id")])
    at = at.button(key="followup.gen.create").click().run()
    assert not at.exception
    made = dict(no_owner.execute("SELECT customer_id, owner FROM followups "
                                 "WHERE source = 'churn_warning'").fetchall())
    assert made["C6"] == "admin" and made["C2"] == "wang"


def test_a_preview_that_would_create_nothing_says_why_and_has_no_button(no_owner):
    at = run()
    at.segmented_control(key="followup.section").set_value("generate").run()
    at.selectbox(key="followup.gen.fallback").set_value("")  # nobody for customers without a manager
    at.multiselect(key="followup.gen.pick").set_value(["C1", "C5"])
    at = preview_button(at).click().run()
    assert not at.exception and not at.error
    assert not [b for b in at.button if b.key == "followup.gen.create"]
    (warning,) = [w.value for w in at.warning]
    assert warning.splitlines() == [
        t("followup.gen.nothing"),
        "- " + t("followup.gen.skip_line", reason=t("followup.skip.no_owner"), n=1),
        "- " + t("followup.gen.skip_line", reason=t("followup.skip.open_followup"), n=1)]


def test_missing_values_show_a_dash_not_none(con):
    at = run()
    table = editor(at)
    assert table.value["outcome"].isna().all()     # nothing recorded yet …
    assert table.proto.placeholder == "—"           # … and the grid draws it as "—"
    at.toggle(key="followup.closed").set_value(True).run()
    assert not at.exception
