"""The follow-up plan store: create/update/delete, versions, validation, history, scope, roles."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from core import db
from core import followup as fu
from core.errors import Conflict, PermissionDenied
from core.filters import Filters
from core.followup import Actor
from core.settings import Settings

TODAY = date(2026, 3, 11)  # a Wednesday; its week runs Mon 9 – Sun 15 March
ADMIN = Actor("boss", "admin")
WANG = Actor("wang_u", "manager", owner_name="wang", team="east")
LI = Actor("li_u", "manager", owner_name="li", team="west")
VIEWER = Actor("guest", "viewer")
WANG_SCOPE = Filters(scope_owners=("wang",))


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """Customers C1, C2 (owner wang, team east), C3 (li, west); user zhao owns no customer yet."""
    con = db.connect(":memory:")
    con.executemany(
        "INSERT INTO customers (customer_id, name, owner, team) VALUES (?, ?, ?, ?)",
        [("C1", "甲公司", "wang", "east"), ("C2", "乙公司", "wang", "east"), ("C3", "丙公司", "li", "west")],
    )
    con.execute(
        "INSERT INTO users (username, role, owner_name, team, password_hash) "
        "VALUES ('zhao_u', 'manager', 'zhao', 'east', 'x')"
    )
    return con


def create(con, customer="C1", owner="wang", user=ADMIN, **extra) -> fu.SaveReport:
    change = {"op": "create", "customer_id": customer, "owner": owner, "action": "call",
              "due_date": TODAY, **extra}
    return fu.save_changes(con, user, [change])


def row(con, followup_id: int) -> dict:
    cur = con.execute("SELECT * FROM followups WHERE followup_id = ?", [followup_id])
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchall()[0], strict=True))


# --- create / update / delete -----------------------------------------------------------------


def test_create_writes_row_version_1_and_history(con):
    report = create(con, note="问候")
    assert report.ok and report.created == 1
    saved = report.saved[0]
    r = row(con, saved.followup_id)
    assert (r["customer_id"], r["owner"], r["action"], r["due_date"], r["status"]) == (
        "C1", "wang", "call", TODAY, "planned")
    assert (r["version"], r["deleted"], r["created_by"], r["updated_by"], r["source"]) == (
        1, False, "boss", "boss", "manual")
    h = fu.history(con, followup_id=saved.followup_id)
    assert list(h["op"]) == ["create"] and list(h["version"]) == [1]
    assert h["before"].isna().all()
    assert json.loads(h["after"][0])["note"] == "问候"


def test_update_bumps_version_and_records_before_and_after(con):
    fid = create(con).saved[0].followup_id
    report = fu.save_changes(con, WANG, [{"op": "update", "followup_id": fid, "version": 1,
                                          "status": "done", "outcome": "reached", "note": "ok"}])
    assert report.ok and report.updated == 1 and report.saved[0].version == 2
    r = row(con, fid)
    assert (r["status"], r["outcome"], r["note"], r["version"], r["updated_by"]) == (
        "done", "reached", "ok", 2, "wang_u")
    h = fu.history(con, followup_id=fid)
    assert list(h["op"]) == ["create", "update"]
    before, after = json.loads(h["before"][1]), json.loads(h["after"][1])
    assert (before["status"], before["version"]) == ("planned", 1)
    assert (after["status"], after["outcome"], after["version"]) == ("done", "reached", 2)
    assert "status: planned → done" in h["changes"][1]


def test_delete_is_soft_and_hides_the_row(con):
    fid = create(con).saved[0].followup_id
    report = fu.save_changes(con, ADMIN, [{"op": "delete", "followup_id": fid, "version": 1}])
    assert report.deleted == 1
    assert row(con, fid)["deleted"] is True and row(con, fid)["version"] == 2
    assert fu.list_plan(con, today=TODAY).empty
    assert list(fu.history(con, customer_id="C1")["op"]) == ["create", "delete"]


def test_unchanged_row_makes_no_new_version(con):
    fid = create(con).saved[0].followup_id
    report = fu.save_changes(con, ADMIN, [{"op": "update", "followup_id": fid, "version": 1,
                                           "owner": "wang", "due_date": TODAY.isoformat()}])
    assert report.ok and report.saved == []
    assert row(con, fid)["version"] == 1


def test_audit_row_per_save_holds_counts_only(con):
    create(con)
    fu.save_changes(con, ADMIN, [
        {"op": "create", "customer_id": "C2", "owner": "wang", "action": "visit", "due_date": TODAY},
        {"op": "create", "customer_id": "NOPE", "owner": "wang", "action": "visit", "due_date": TODAY},
    ])
    details = [json.loads(d) for (d,) in con.execute(
        "SELECT detail FROM audit_log WHERE action = 'plan_edit' ORDER BY audit_id").fetchall()]
    assert details == [
        {"created": 1, "updated": 0, "deleted": 0, "refused": 0},
        {"created": 1, "updated": 0, "deleted": 0, "refused": 1},
    ]


def test_data_version_moves_only_when_something_saved(con):
    v0 = db.data_version(con)
    create(con)
    assert db.data_version(con) == v0 + 1
    create(con, customer="NOPE")
    assert db.data_version(con) == v0 + 1


def test_ids_inserted_explicitly_by_a_loader_are_not_reused(con):
    # The demo loader writes followup_id 1..n itself, leaving the sequence at 1.
    con.execute("INSERT INTO followups (followup_id, customer_id, owner, action, due_date) "
                "VALUES (1, 'C1', 'wang', 'call', '2026-01-01'), (2, 'C2', 'wang', 'call', '2026-01-01')")
    fid = create(con, customer="C3", owner="li").saved[0].followup_id
    assert fid > 2
    assert con.execute("SELECT count(*) FROM followups WHERE followup_id = ?", [fid]).fetchall()[0][0] == 1


# --- versions ---------------------------------------------------------------------------------


def test_stale_version_is_refused_with_both_versions_and_other_rows_still_save(con):
    a = create(con).saved[0].followup_id
    b = create(con, customer="C2").saved[0].followup_id
    # another session changes row a first (version 1 → 2)
    fu.save_changes(con, Actor("other", "admin"), [{"op": "update", "followup_id": a, "version": 1,
                                                     "note": "theirs"}])
    report = fu.save_changes(con, ADMIN, [
        {"op": "update", "followup_id": a, "version": 1, "note": "mine"},
        {"op": "update", "followup_id": b, "version": 1, "note": "mine too"},
    ])
    assert [s.followup_id for s in report.saved] == [b]
    (refusal,) = report.refused
    assert (refusal.code, refusal.followup_id, refusal.index) == ("conflict", a, 0)
    assert refusal.theirs["note"] == "theirs" and refusal.theirs["version"] == 2
    assert refusal.theirs["updated_by"] == "other"
    assert refusal.yours == {"note": "mine", "version": 1}
    msg = refusal.message("en")
    assert "other changed this row" in msg and "version 2" in msg and "version 1" in msg
    assert "other" in refusal.message("zh")
    assert row(con, a)["note"] == "theirs" and row(con, b)["note"] == "mine too"


def test_change_to_a_row_deleted_meanwhile_is_refused_as_gone(con):
    a = create(con).saved[0].followup_id
    fu.save_changes(con, Actor("other", "admin"), [{"op": "delete", "followup_id": a, "version": 1}])
    report = fu.save_changes(con, ADMIN, [{"op": "update", "followup_id": a, "version": 1, "note": "x"}])
    assert [r.code for r in report.refused] == ["gone"]
    assert row(con, a)["note"] is None


def test_same_row_twice_in_one_save_keeps_the_first(con):
    a = create(con).saved[0].followup_id
    report = fu.save_changes(con, ADMIN, [
        {"op": "update", "followup_id": a, "version": 1, "note": "first"},
        {"op": "update", "followup_id": a, "version": 1, "note": "second"},
    ])
    assert [r.code for r in report.refused] == ["twice"]
    assert row(con, a)["note"] == "first" and row(con, a)["version"] == 2


def test_unknown_or_garbled_followup_id_is_refused(con):
    report = fu.save_changes(con, ADMIN, [
        {"op": "update", "followup_id": 999, "version": 1, "note": "x"},
        {"op": "update", "followup_id": "abc", "version": 1, "note": "x"},
        {"op": "delete", "followup_id": None, "version": 1},
    ])
    assert [r.code for r in report.refused] == ["not_found"] * 3


def test_ids_and_versions_as_the_editor_sends_them(con):
    fid = create(con).saved[0].followup_id
    report = fu.save_changes(con, ADMIN, [{"op": "update", "followup_id": f"{fid}.0",
                                           "version": "1", "note": "ok"}])
    assert report.ok and report.saved[0].version == 2
    stale = fu.save_changes(con, ADMIN, [{"op": "update", "followup_id": fid, "version": "x",
                                          "note": "no"}])
    assert [r.code for r in stale.refused] == ["conflict"]


def test_write_conflict_with_another_writer_is_retried_then_reported(con):
    # Another transaction (e.g. an import) holds an uncommitted change of data_version: every
    # attempt hits DuckDB's "Conflict on update" and the save ends as a readable Conflict.
    other = con.cursor()
    other.execute("BEGIN TRANSACTION")
    other.execute("UPDATE data_version SET n = n + 1")
    mine = con.cursor()
    with pytest.raises(Conflict, match="Nothing was saved"):
        fu.save_changes(mine, ADMIN, [{"op": "create", "customer_id": "C1", "owner": "wang",
                                       "action": "call", "due_date": TODAY}], attempts=2)
    other.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM followups").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM followup_history").fetchall()[0][0] == 0
    assert create(con).ok  # and once the other writer is done, saving works


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"customer_id": "NOPE"}, "unknown_customer"),
        ({"customer_id": None}, "unknown_customer"),
        ({"owner": "nobody"}, "unknown_owner"),
        ({"owner": ""}, "unknown_owner"),
        ({"due_date": "2026-02-30"}, "bad_date"),
        ({"due_date": "next week"}, "bad_date"),
        ({"due_date": None}, "bad_date"),
        ({"action": "fax"}, "bad_action"),
        ({"status": "doing"}, "bad_status"),
        ({"status": "done", "outcome": "maybe"}, "bad_outcome"),
        ({"status": "done"}, "outcome_required"),
        ({"source": "spam"}, "bad_source"),
        ({"note": "x" * 2001}, "note_too_long"),
        ({"op": "upsert"}, "bad_op"),
    ],
)
def test_invalid_new_row_is_refused_with_reason_and_valid_row_still_saves(con, change, code):
    bad = {"op": "create", "customer_id": "C1", "owner": "wang", "action": "call",
           "due_date": TODAY, **change}
    good = {"op": "create", "customer_id": "C2", "owner": "wang", "action": "email", "due_date": TODAY}
    report = fu.save_changes(con, ADMIN, [bad, good])
    assert [(r.index, r.code) for r in report.refused] == [(0, code)]
    assert report.refused[0].message("en") != f"followup.refuse.{code}"
    assert [s.index for s in report.saved] == [1]
    assert con.execute("SELECT list(customer_id) FROM followups").fetchall()[0][0] == ["C2"]
    assert con.execute("SELECT count(*) FROM followup_history").fetchall()[0][0] == 1


def test_invalid_update_leaves_the_row_untouched(con):
    a = create(con).saved[0].followup_id
    report = fu.save_changes(con, ADMIN, [{"op": "update", "followup_id": a, "version": 1,
                                           "status": "done", "note": "called"}])
    assert [r.code for r in report.refused] == ["outcome_required"]
    assert (row(con, a)["status"], row(con, a)["note"], row(con, a)["version"]) == ("planned", None, 1)


@pytest.mark.parametrize("text", ["2026-03-11", "2026/3/11", "2026-03-11T00:00:00", "2026.3.11"])
def test_due_date_accepts_the_usual_spellings(con, text):
    fid = create(con, due_date=text).saved[0].followup_id
    assert row(con, fid)["due_date"] == TODAY


def test_owner_may_be_a_user_without_customers(con):
    assert create(con, owner="zhao").ok


def test_generated_row_refused_when_an_open_followup_exists(con):
    create(con)
    report = fu.save_changes(con, ADMIN, [
        {"op": "create", "customer_id": "C1", "owner": "wang", "action": "call",
         "due_date": TODAY, "no_duplicate": True},
        {"op": "create", "customer_id": "C2", "owner": "wang", "action": "call",
         "due_date": TODAY, "no_duplicate": True},
        {"op": "create", "customer_id": "C2", "owner": "wang", "action": "call",
         "due_date": TODAY, "no_duplicate": True},
    ])
    assert [(r.index, r.code) for r in report.refused] == [(0, "duplicate_open"), (2, "duplicate_open")]
    assert report.created == 1


# --- roles and row scope ----------------------------------------------------------------------


def test_viewer_may_not_save(con):
    with pytest.raises(PermissionDenied):
        create(con, user=VIEWER)
    with pytest.raises(PermissionDenied):
        fu.generate_from_warnings(con, VIEWER, pd.DataFrame({"customer_id": ["C1"], "risk_x_value": [1.0]}))
    # nobody signed in is a viewer, never an admin
    assert not fu.can_edit(VIEWER) and fu.can_edit(WANG) and not fu.can_edit(None)


def test_manager_cannot_create_or_edit_outside_scope(con):
    theirs = create(con, customer="C3", owner="li").saved[0].followup_id
    report = fu.save_changes(con, WANG, [
        {"op": "create", "customer_id": "C3", "owner": "wang", "action": "call", "due_date": TODAY},
        {"op": "update", "followup_id": theirs, "version": 1, "note": "x"},
        {"op": "create", "customer_id": "C1", "owner": "wang", "action": "call", "due_date": TODAY},
    ], f=WANG_SCOPE)
    assert [(r.index, r.code) for r in report.refused] == [(0, "out_of_scope"), (1, "out_of_scope")]
    assert report.created == 1
    deleting = fu.save_changes(con, WANG, [{"op": "delete", "followup_id": theirs, "version": 1}],
                               f=WANG_SCOPE)
    assert [r.code for r in deleting.refused] == ["out_of_scope"]
    assert row(con, theirs)["version"] == 1


def test_manager_cannot_move_own_followup_to_a_customer_outside_scope(con):
    mine = create(con).saved[0].followup_id
    report = fu.save_changes(con, WANG, [{"op": "update", "followup_id": mine, "version": 1,
                                          "customer_id": "C3"}], f=WANG_SCOPE)
    assert [r.code for r in report.refused] == ["out_of_scope"]


def test_list_plan_respects_scope_and_views(con):
    create(con)                                  # C1 wang, due today
    create(con, customer="C2", owner="zhao", due_date=TODAY - timedelta(days=3))  # overdue
    create(con, customer="C3", owner="li", due_date=TODAY + timedelta(days=10))
    everyone = fu.list_plan(con, today=TODAY)
    assert list(everyone["customer_id"]) == ["C2", "C1", "C3"]  # by due date
    assert list(everyone["overdue"]) == [True, False, False]
    assert list(fu.list_plan(con, WANG_SCOPE, today=TODAY)["customer_id"]) == ["C2", "C1"]
    assert list(fu.list_plan(con, view="mine", user=WANG, today=TODAY)["customer_id"]) == ["C1"]
    # team east = wang (customers' team and user) + zhao (user of team east)
    assert fu.team_owners(con, WANG) == ("wang", "zhao")
    assert list(fu.list_plan(con, view="team", user=WANG, today=TODAY)["customer_id"]) == ["C2", "C1"]
    assert list(fu.list_plan(con, due="overdue", today=TODAY)["customer_id"]) == ["C2"]
    # week of Wed 11 March = 9..15 March: C1 (11th) only; C2 is the 8th, C3 the 21st
    assert list(fu.list_plan(con, due="this_week", today=TODAY)["customer_id"]) == ["C1"]
    assert list(fu.list_plan(con, customer_id="C3", today=TODAY)["owner"]) == ["li"]
    assert len(fu.list_plan(con, today=TODAY, limit=2, offset=1)) == 2
    assert fu.list_plan(con, Filters(scope_owners=()), today=TODAY).empty


def test_list_plan_can_hide_closed_rows(con):
    fid = create(con).saved[0].followup_id
    create(con, customer="C2")
    fu.save_changes(con, ADMIN, [{"op": "update", "followup_id": fid, "version": 1,
                                  "status": "cancelled"}])
    assert list(fu.list_plan(con, today=TODAY, include_closed=False)["customer_id"]) == ["C2"]


def test_known_owners_are_customer_owners_and_user_owner_names(con):
    assert fu.known_owners(con) == ("li", "wang", "zhao")


# --- editor state → changes -------------------------------------------------------------------


def test_changes_from_editor_carry_loaded_versions_and_skip_empty_added_rows():
    loaded = pd.DataFrame({"followup_id": [7, 8, 9], "version": [3, 1, 2],
                           "customer_id": ["C1", "C2", "C3"], "note": [None, None, None]})
    state = {
        "edited_rows": {"0": {"note": "x", "customer_name": "ignored"}, 2: {"status": "done"}},
        "added_rows": [{"customer_id": "C2", "owner": "wang"}, {"note": None}],
        "deleted_rows": [1, 2],
    }
    assert fu.changes_from_editor(loaded, state) == [
        {"op": "delete", "followup_id": 8, "version": 1},
        {"op": "delete", "followup_id": 9, "version": 2},
        {"op": "update", "followup_id": 7, "version": 3, "note": "x"},
        {"op": "create", "customer_id": "C2", "owner": "wang"},
    ]


# --- generating from warnings -----------------------------------------------------------------


@pytest.fixture
def shop(con) -> duckdb.DuckDBPyConnection:
    """Six more wang customers W1..W6 and two li customers L1, L2 (all team east/west as owner)."""
    con.executemany("INSERT INTO customers (customer_id, name, owner) VALUES (?, ?, ?)",
                    [(f"W{i}", f"w{i}", "wang") for i in range(1, 7)] + [("L1", "l1", "li"), ("L2", "l2", "li")])
    return con


def candidates() -> pd.DataFrame:
    ids = ["W1", "W2", "W3", "W4", "W5", "W6", "L1", "L2"]
    return pd.DataFrame({"customer_id": ids, "risk_x_value": [80, 70, 60, 50, 40, 30, 75, 10],
                         "churn_reasons": [["no order for 94 days"]] * 8})


def test_generate_own_spreads_each_owner_by_weekly_capacity(shop):
    first = date(2026, 3, 16)  # a Monday
    preview = fu.generate_from_warnings(shop, ADMIN, candidates(), top_n=5, capacity_per_week=2,
                                        first_due=first)
    # top 5 by score: W1 80, L1 75, W2 70, W3 60, W4 50 — wang gets W1, W2 in week 0, W3, W4 in week 1
    assert list(preview["customer_id"]) == ["W1", "L1", "W2", "W3", "W4"]
    assert list(preview["owner"]) == ["wang", "li", "wang", "wang", "wang"]
    assert list(preview["due_date"]) == [first, first, first, first + timedelta(7), first + timedelta(7)]
    assert preview["skip_reason"].isna().all()
    assert preview["note"][0] == "no order for 94 days"


def test_generate_capacity_moves_overflow_to_least_loaded_owner(shop):
    first = date(2026, 3, 16)
    # an existing planned follow-up of zhao in week 0 counts against his capacity
    create(shop, customer="C2", owner="zhao", due_date=first + timedelta(days=2))
    preview = fu.generate_from_warnings(shop, ADMIN, candidates(), top_n=6, assign="capacity",
                                        capacity_per_week=2, first_due=first)
    # by score: W1 80, L1 75, W2 70, W3 60, W4 50, W5 40.
    # week 0 loads: li 0, wang 0, zhao 1.  W1→wang(1)  L1→li(1)  W2→wang(2)
    # W3: wang full → least loaded of li 1, zhao 1 → li (name order) → li 2; W4: zhao 2
    # W5: everyone full in week 0 → week 1, own owner wang.
    assert list(preview["owner"]) == ["wang", "li", "wang", "li", "zhao", "wang"]
    assert list(preview["due_date"]) == [first] * 5 + [first + timedelta(7)]


def test_generate_skips_open_followups_scope_and_picked_customers(shop):
    create(shop, customer="W1")
    preview = fu.generate_from_warnings(shop, WANG, candidates(), top_n=3, f=WANG_SCOPE)
    reasons = [None if pd.isna(x) else x for x in preview["skip_reason"]]
    assert dict(zip(preview["customer_id"], reasons, strict=True)) == {
        "W1": "open_followup", "L1": "out_of_scope", "W2": None}
    again = fu.generate_from_warnings(shop, WANG, candidates(), top_n=3, f=WANG_SCOPE,
                                      allow_duplicates=True)
    assert pd.isna(again["skip_reason"][0])
    picked = fu.generate_from_warnings(shop, ADMIN, candidates(), customer_ids=["W6", "L2"])
    assert list(picked["customer_id"]) == ["W6", "L2"]  # by score, top_n ignored
    ghost = pd.DataFrame({"customer_id": ["GONE"], "risk_x_value": [99.0]})
    assert list(fu.generate_from_warnings(shop, ADMIN, ghost)["skip_reason"]) == ["unknown_customer"]


def test_create_plan_writes_previewed_rows_as_churn_warnings(shop):
    first = date(2026, 3, 16)
    preview = fu.generate_from_warnings(shop, WANG, candidates(), top_n=3, f=WANG_SCOPE,
                                        first_due=first, action="visit")
    report = fu.create_plan(shop, WANG, preview, f=WANG_SCOPE)
    assert report.created == 2 and report.ok  # W1, W2 (L1 skipped: out of scope)
    plan = fu.list_plan(shop, today=TODAY)
    assert list(plan["customer_id"]) == ["W1", "W2"]
    assert set(plan["source"]) == {"churn_warning"} and set(plan["action"]) == {"visit"}
    # creating the same preview again makes no duplicates
    again = fu.create_plan(shop, WANG, preview, f=WANG_SCOPE)
    assert again.created == 0 and [r.code for r in again.refused] == ["duplicate_open"] * 2


# --- reminders and statistics -----------------------------------------------------------------


def add_order(con, customer, day, amount, order_id=None):
    order_id = order_id or f"{customer}-{day}"
    con.execute("INSERT INTO orders (order_id, customer_id, order_date, amount) VALUES (?, ?, ?, ?)",
                [order_id, customer, day, amount])


def test_reminders_list_overdue_and_valuable_customers_not_followed_up(con):
    add_order(con, "C1", "2026-01-05", 500)
    add_order(con, "C2", "2026-01-05", 800)
    add_order(con, "C2", "2026-01-06", -300)   # refund: C2 spends 500 net
    add_order(con, "C3", "2026-01-05", 100)
    create(con, due_date=TODAY - timedelta(days=2))                       # C1 overdue
    old = create(con, customer="C2", due_date=TODAY - timedelta(days=40)).saved[0].followup_id
    fu.save_changes(con, ADMIN, [{"op": "update", "followup_id": old, "version": 1,
                                  "status": "done", "outcome": "reached"}])
    r = fu.reminders(con, today=TODAY, no_followup_days=30, min_value=400)
    assert list(r.overdue["customer_id"]) == ["C1"] and list(r.overdue["days_overdue"]) == [2]
    # C1 has a follow-up due 2 days ago (within 30 days); C2 (500) last one 40 days ago; C3 spends 100
    assert list(r.neglected["customer_id"]) == ["C2"]
    assert r.neglected["spend"][0] == 500 and r.neglected["days_since_followup"][0] == 40
    assert fu.reminders(con, Filters(scope_owners=("li",)), today=TODAY).overdue.empty


def test_stats_weekly_outcomes_and_contacted_vs_not(con):
    # as_of 2026-03-31, horizon 90 → start 2025-12-31 (31 + 28 + 31 days back). At risk on that
    # day (risk 90, churn 180): last order in [2025-07-04, 2025-10-02). C1, C2, C3: 2025-09-01.
    for c in ("C1", "C2", "C3"):
        add_order(con, c, "2025-09-01", 100)
    add_order(con, "C1", "2026-02-10", 50)  # C1 bought again
    add_order(con, "C3", "2026-02-11", 70)  # C3 bought again
    add_order(con, "C2", "2026-04-02", 90)  # after as_of: does not count
    done = create(con, due_date=date(2026, 1, 20)).saved[0].followup_id          # C1 contacted
    fu.save_changes(con, ADMIN, [{"op": "update", "followup_id": done, "version": 1,
                                  "status": "done", "outcome": "won_back"}])
    create(con, customer="C2", due_date=date(2026, 3, 25))                       # planned only
    s = Settings(as_of=date(2026, 3, 31), small_sample_n=30)
    st = fu.stats(con, s, today=date(2026, 3, 31), weeks=12)
    # contacted: C1 (bought) → 1/1; not contacted: C2 (no), C3 (yes) → 1/2
    effect = st.effect.set_index("group")
    assert effect.loc["contacted", "customers"] == 1 and effect.loc["contacted", "rate"] == 1.0
    assert effect.loc["not_contacted", "customers"] == 2 and effect.loc["not_contacted", "bought_again"] == 1
    assert st.small_sample and (st.start, st.end) == (date(2025, 12, 31), date(2026, 3, 31))
    # weeks: 19 Jan (wang 1 planned, 1 done); 23 Mar (wang 1 planned, 0 done)
    weekly = st.weekly.set_index("week")
    assert weekly.loc[date(2026, 1, 19), "done"] == 1 and weekly.loc[date(2026, 3, 23), "planned"] == 1
    assert weekly.loc[date(2026, 3, 23), "done"] == 0
    assert list(st.outcomes["outcome"]) == ["won_back"] and st.outcomes["share"][0] == 1.0


def test_stats_weekly_window_runs_weeks_back_and_ahead_from_today(con):
    create(con, due_date=date(2026, 3, 2))    # week of 2 March: the week before TODAY's
    create(con, due_date=date(2026, 4, 6))    # four weeks after TODAY's week (9 March)
    create(con, due_date=date(2026, 4, 13))   # five weeks after: outside
    s = Settings(as_of=TODAY)
    weeks = fu.stats(con, s, today=TODAY, weeks=2, ahead=4).weekly["week"].tolist()
    assert weeks == [date(2026, 3, 2), date(2026, 4, 6)]
    assert fu.stats(con, s, today=TODAY, weeks=1, ahead=0).weekly.empty


def test_reminders_default_value_threshold_is_the_top_fifth_by_spend(con):
    # net spend: C1 100, C2 200, C3 1000 → 80th percentile (linear) = 200 + 0.6 × 800 = 680
    add_order(con, "C1", "2026-01-05", 100)
    add_order(con, "C2", "2026-01-05", 200)
    add_order(con, "C3", "2026-01-05", 1000)
    r = fu.reminders(con, today=TODAY)
    assert r.min_value == pytest.approx(680.0)
    assert list(r.neglected["customer_id"]) == ["C3"]
    assert fu.reminders(con, Filters(scope_owners=("wang",)), today=TODAY).min_value == pytest.approx(180.0)


# --- customers without an account manager, churned customers ------------------------------------


@pytest.fixture
def no_owner_shop(shop) -> duckdb.DuckDBPyConnection:
    """The shop plus N1..N3 without an account manager ('' counts as none) and the admin boss,
    who has no owner name: follow-ups are assigned to him under his username."""
    shop.executemany("INSERT INTO customers (customer_id, name, owner) VALUES (?, ?, ?)",
                     [("N1", "n1", None), ("N2", "n2", ""), ("N3", "n3", None)])
    shop.execute("INSERT INTO users (username, role, password_hash) VALUES ('boss', 'admin', 'x')")
    return shop


def ownerless() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ["N1", "W1", "N2", "N3"], "risk_x_value": [90, 80, 70, 60]})


def test_owner_less_customers_go_to_the_fallback_assignee_within_capacity(no_owner_shop):
    first = date(2026, 3, 16)
    # without a fallback nobody can take N1..N3
    bare = fu.generate_from_warnings(no_owner_shop, ADMIN, ownerless(), capacity_per_week=2, first_due=first)
    assert list(bare["skip_reason"].fillna("")) == ["no_owner", "", "no_owner", "no_owner"]
    preview = fu.generate_from_warnings(no_owner_shop, ADMIN, ownerless(), capacity_per_week=2,
                                        first_due=first, fallback_owner="boss")
    # by score N1 90, W1 80, N2 70, N3 60: boss takes N1 and N2 in week 0 (2 = capacity), so
    # N3 moves to week 1; W1 stays with wang
    assert list(preview["owner"]) == ["boss", "wang", "boss", "boss"]
    assert list(preview["assigned_because"]) == ["fallback", "own", "fallback", "fallback"]
    assert list(preview["week"]) == [0, 0, 0, 1]
    assert list(preview["due_date"]) == [first, first, first, first + timedelta(7)]
    assert preview["skip_reason"].isna().all()
    assert preview["customer_owner"].isna().tolist() == [True, False, True, True]
    report = fu.create_plan(no_owner_shop, ADMIN, preview)
    assert report.ok and report.created == 4
    made = no_owner_shop.execute("SELECT customer_id, owner FROM followups ORDER BY customer_id").fetchall()
    assert made == [("N1", "boss"), ("N2", "boss"), ("N3", "boss"), ("W1", "wang")]


def test_capacity_mode_spreads_owner_less_customers_too(no_owner_shop):
    first = date(2026, 3, 16)
    cand = pd.DataFrame({"customer_id": ["N1", "N2", "N3", "W1"], "risk_x_value": [90, 85, 80, 70]})
    preview = fu.generate_from_warnings(no_owner_shop, ADMIN, cand, assign="capacity",
                                        capacity_per_week=2, first_due=first, fallback_owner="boss")
    # boss first (N1, N2), then he is full in week 0: N3 goes to the least loaded of li, wang,
    # zhao (all 0 → li by name); W1 to its own manager wang
    assert list(preview["owner"]) == ["boss", "boss", "li", "wang"]
    assert list(preview["assigned_because"]) == ["fallback", "fallback", "capacity", "own"]
    assert list(preview["due_date"]) == [first] * 4


def test_a_shop_without_any_account_manager_spreads_over_weeks():
    """The CDNOW case: no owner column at all; capacity 2 → weeks 0, 0, 1, 1, 2 for the fallback."""
    con = db.connect(":memory:")
    con.executemany("INSERT INTO customers (customer_id, name) VALUES (?, ?)", [(f"X{i}", f"x{i}") for i in range(5)])
    con.execute("INSERT INTO users (username, role, password_hash) VALUES ('boss', 'admin', 'x')")
    cand = pd.DataFrame({"customer_id": [f"X{i}" for i in range(5)], "risk_x_value": [5, 4, 3, 2, 1]})
    assert fu.account_managers(con) == () and fu.known_owners(con) == ("boss",)
    for assign in ("own", "capacity"):
        preview = fu.generate_from_warnings(con, ADMIN, cand, assign=assign, capacity_per_week=2,
                                            first_due=TODAY, fallback_owner=fu.assignee_of(ADMIN))
        assert list(preview["owner"]) == ["boss"] * 5, assign
        assert list(preview["week"]) == [0, 0, 1, 1, 2], assign
    assert fu.create_plan(con, ADMIN, preview).created == 5


def test_known_owners_and_assignees_include_admins_and_managers_without_an_owner_name(no_owner_shop):
    no_owner_shop.executemany(
        "INSERT INTO users (username, role, owner_name, disabled, password_hash) VALUES (?, ?, ?, ?, 'x')",
        [("guest", "viewer", None, False), ("old", "admin", None, True), ("sun_u", "manager", " ", False)])
    # viewers never own follow-ups; a disabled admin's old rows stay valid but he is not offered
    assert fu.known_owners(no_owner_shop) == ("boss", "li", "old", "sun_u", "wang", "zhao")
    assert fu.account_managers(no_owner_shop) == ("li", "wang", "zhao")
    offered = fu.assignees(no_owner_shop)
    assert list(offered["assignee"]) == ["boss", "sun_u", "zhao"]
    assert fu.assignee_of(WANG) == "wang" and fu.assignee_of(ADMIN) == "boss"


def staged() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ["W1", "L1", "W2", "W3", "W4"],
                         "risk_x_value": [80, 75, 70, 60, 50],
                         "lifecycle_stage": ["churned", "at_risk", "active", "churned", "at_risk"]})


def test_churned_customers_are_left_out_unless_asked_for(shop):
    top2 = fu.generate_from_warnings(shop, ADMIN, staged(), top_n=2)
    assert list(top2["customer_id"]) == ["L1", "W2"]  # W1 (80) is churned: the next two instead
    with_churned = fu.generate_from_warnings(shop, ADMIN, staged(), top_n=2, include_churned=True)
    assert list(with_churned["customer_id"]) == ["W1", "L1"]
    assert with_churned["skip_reason"].isna().all()
    # picked by hand: kept in the preview, but skipped and saying why
    picked = fu.generate_from_warnings(shop, ADMIN, staged(), customer_ids=["W3", "W2"])
    assert dict(zip(picked["customer_id"], picked["skip_reason"].fillna(""), strict=True)) == {
        "W2": "", "W3": "churned"}
    picked = fu.generate_from_warnings(shop, ADMIN, staged(), customer_ids=["W3", "W2"], include_churned=True)
    assert picked["skip_reason"].isna().all()


def test_reminders_leave_out_churned_customers_and_judge_at_the_reference_date():
    from core import alerts
    from tests.metrics_fixtures import Shop

    ref = date(1998, 6, 30)
    shop = Shop().customers("A", "B", "C", "D", "E", "F")
    shop.order("A", "1998-06-01", 1000)   # 29 days before ref: active, valuable
    shop.order("B", "1997-10-01", 2000)   # 272 days > 180: churned at ref
    shop.order("C", "1998-05-01", 100)    # not valuable
    shop.order("D", "1998-03-01", 800)    # 121 days: at risk, valuable
    shop.order("E", "1998-07-15", 5000)   # after ref: spends nothing yet
    shop.order("F", "1998-06-10", 900)
    shop.followup("A", "1998-06-20")                      # 10 days before ref: followed up
    shop.followup("D", "1998-04-01")                      # 90 days before ref: not
    shop.followup("F", TODAY + timedelta(days=9), "planned")  # planned now: followed up
    shop.followup("C", TODAY - timedelta(days=10), "planned")  # overdue against today
    r = fu.reminders(shop.con, today=TODAY, as_of=ref, no_followup_days=30, min_value=500, churn_days=180)
    # valuable at ref: B 2000, A 1000, F 900, D 800; B churned, A and F followed up → D only
    assert list(r.neglected["customer_id"]) == ["D"]
    assert r.neglected["days_since_followup"][0] == 90 and r.neglected["spend"][0] == 800
    assert r.reference == ref
    assert list(r.overdue["customer_id"]) == ["C"] and list(r.overdue["days_overdue"]) == [10]
    # a churn horizon long enough keeps B; a reference date in the future is today
    assert list(fu.reminders(shop.con, today=TODAY, as_of=ref, min_value=500,
                             churn_days=400).neglected["customer_id"]) == ["B", "D"]
    assert fu.reminders(shop.con, today=TODAY, as_of=TODAY + timedelta(days=5)).reference == TODAY
    # the Overview's call: reference date and churn days from the settings
    via_settings = alerts.reminders(shop.con, Settings(as_of=ref))
    assert via_settings.reference == ref and "B" not in set(via_settings.neglected["customer_id"])


def test_preview_says_who_got_a_customer_and_why_nothing_was_created(no_owner_shop):
    first = date(2026, 3, 16)
    preview = fu.generate_from_warnings(no_owner_shop, ADMIN, ownerless(), capacity_per_week=2,
                                        first_due=first, fallback_owner="boss")
    words = [fu.assignment_text(r, "zh", "boss") for r in preview.to_dict("records")]
    assert words == ["无客户经理 → 分配给 boss", "客户经理本人", "无客户经理 → 分配给 boss",
                     "无客户经理 → 分配给 boss（已满，顺延 1 周）"]
    spread = fu.generate_from_warnings(no_owner_shop, ADMIN, ownerless(), assign="capacity",
                                       capacity_per_week=1, first_due=first, fallback_owner="boss")
    # N1 → boss; W1 → wang; N2: boss full → li (0 before zhao 0 by name)
    assert fu.assignment_text(spread.iloc[2].to_dict(), "en", "boss") == "boss full that week → li"
    create(no_owner_shop, customer="W1")
    bare = fu.generate_from_warnings(no_owner_shop, ADMIN, ownerless())
    assert bare["skip_reason"].notna().all()
    assert fu.skip_summary(bare, "en") == [
        "no account manager and no fallback assignee chosen: 3 customer(s)",
        "already has an open follow-up: 1 customer(s)"]
    assert fu.assignment_text(bare.iloc[0].to_dict(), "en") == ""
