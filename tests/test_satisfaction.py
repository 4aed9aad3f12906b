"""Satisfaction metrics on tiny hand-made shops: NPS and its margin, CSAT, CES, groups, lists."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from core.filters import Filters
from core.metrics import satisfaction
from core.settings import Settings
from tests.metrics_fixtures import Shop, d

AS_OF = d("2024-06-30")
S = Settings(as_of=AS_OF)


def comment(shop: Shop, customer_id: str, day: str, text: str, *, scale: str | None = None,
            score: int | None = None, kind: str = "survey") -> None:
    """A survey row with a comment (the shared builder has no comment column)."""
    n = shop.con.execute("SELECT count(*) FROM surveys").fetchone()[0]
    shop.con.execute(
        "INSERT INTO surveys (survey_id, customer_id, survey_date, scale, score, kind, comment) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [f"c{n:05d}", customer_id, d(day), scale, score, kind, text],
    )


@pytest.fixture
def four_answers() -> Shop:
    # NPS answers 10, 9, 7, 3 → codes +1, +1, 0, −1.
    shop = Shop().customers("a", "b", "c", "d")
    for cid, score in (("a", 10), ("b", 9), ("c", 7), ("d", 3)):
        shop.survey(cid, "2024-06-01", "nps", score)
    return shop


def test_nps_is_promoters_minus_detractors_in_percent(four_answers: Shop) -> None:
    # 2 promoters, 1 detractor of 4 → 50 % − 25 % = 25.
    out = satisfaction.overall(four_answers.con, S)
    assert (out["nps_n"], out["promoters"], out["passives"], out["detractors"]) == (4, 2, 1, 1)
    assert out["nps"] == pytest.approx(25.0)


def test_nps_margin_uses_sample_sd_of_codes(four_answers: Shop) -> None:
    # codes 1, 1, 0, −1: mean 0.25; squared deviations 0.5625 + 0.5625 + 0.0625 + 1.5625 = 2.75;
    # sample variance 2.75 / 3 = 0.91667, sd 0.95743; SE = 0.95743 / √4 = 0.47871;
    # margin = 1.96 × 0.47871 × 100 = 93.83.
    out = satisfaction.overall(four_answers.con, S)
    assert out["nps_margin"] == pytest.approx(1.96 * math.sqrt(2.75 / 3) / 2 * 100)
    assert out["nps_margin"] == pytest.approx(93.83, abs=0.01)


def test_single_answer_has_no_margin() -> None:
    shop = Shop().customer("a").survey("a", "2024-06-01", "nps", 10)
    out = satisfaction.overall(shop.con, S)
    assert out["nps"] == 100.0 and out["nps_margin"] is None


def test_answers_after_as_of_are_ignored(four_answers: Shop) -> None:
    # A detractor on 2024-07-01 has not happened yet as of 2024-06-30: still 25.
    four_answers.survey("a", "2024-07-01", "nps", 0)
    out = satisfaction.overall(four_answers.con, S)
    assert out["nps_n"] == 4 and out["nps"] == pytest.approx(25.0)


def test_scores_outside_their_scale_are_ignored() -> None:
    # NPS 11 and CSAT 0 / 6 are typos, not answers: only the NPS 10 and CSAT 4 count.
    shop = Shop().customer("a")
    shop.survey("a", "2024-06-01", "nps", 11).survey("a", "2024-06-01", "nps", 10)
    shop.survey("a", "2024-06-01", "csat", 0).survey("a", "2024-06-01", "csat", 6)
    shop.survey("a", "2024-06-01", "csat", 4)
    out = satisfaction.overall(shop.con, S)
    assert (out["nps_n"], out["csat_n"]) == (1, 1)


def test_csat_is_share_of_four_and_five_and_its_mean() -> None:
    # CSAT 5, 4, 3, 1: 2 of 4 are 4–5 → 50 %; mean (5 + 4 + 3 + 1) / 4 = 3.25. CES 2, 4 → mean 3.
    shop = Shop().customers("a", "b")
    for score in (5, 4, 3, 1):
        shop.survey("a", "2024-05-10", "csat", score)
    shop.survey("b", "2024-05-10", "ces", 2).survey("b", "2024-05-11", "ces", 4)
    out = satisfaction.overall(shop.con, S)
    assert out["csat"] == pytest.approx(50.0)
    assert out["csat_mean"] == pytest.approx(3.25)
    assert (out["ces_n"], out["ces_mean"]) == (2, pytest.approx(3.0))


def test_scale_names_are_case_insensitive() -> None:
    shop = Shop().customer("a").survey("a", "2024-06-01", "NPS", 9)
    assert satisfaction.overall(shop.con, S)["nps"] == 100.0


def test_overall_between_dates_counts_only_that_range(four_answers: Shop) -> None:
    # Add a May detractor; June alone is still the 25 of the fixture.
    four_answers.survey("a", "2024-05-15", "nps", 2)
    out = satisfaction.overall(four_answers.con, S, start=date(2024, 6, 1), end=date(2024, 6, 30))
    assert out["nps_n"] == 4 and out["nps"] == pytest.approx(25.0)


def test_nps_trend_by_month_with_small_sample_flag() -> None:
    # May: 10, 10, 0 → (2 − 1) / 3 = 33.3, n 3; June: 8 → 0, n 1. With small_sample_n = 2 only
    # June (n 1 < 2) is flagged. June's margin is None (one answer).
    shop = Shop().customers("a", "b", "c")
    shop.survey("a", "2024-05-02", "nps", 10).survey("b", "2024-05-20", "nps", 10)
    shop.survey("c", "2024-05-31", "nps", 0).survey("a", "2024-06-03", "nps", 8)
    df = satisfaction.nps_trend(shop.con, S.with_(small_sample_n=2), grain="month")
    assert list(df["period"]) == [pd.Timestamp("2024-05-01"), pd.Timestamp("2024-06-01")]
    assert list(df["n"]) == [3, 1]
    assert df["nps"].round(1).tolist() == [33.3, 0.0]
    assert list(df["small_sample"]) == [False, True]
    assert df["margin"].isna().tolist() == [False, True]


def test_nps_trend_by_week_starts_on_monday() -> None:
    # 2024-06-02 is a Sunday (week of Mon 05-27), 06-03 a Monday (week of 06-03).
    shop = Shop().customer("a")
    shop.survey("a", "2024-06-02", "nps", 10).survey("a", "2024-06-03", "nps", 0)
    df = satisfaction.nps_trend(shop.con, S, grain="week")
    assert list(df["period"]) == [pd.Timestamp("2024-05-27"), pd.Timestamp("2024-06-03")]
    assert df["nps"].tolist() == [100.0, -100.0]


def test_unknown_grain_is_refused() -> None:
    with pytest.raises(ValueError):
        satisfaction.nps_trend(Shop().con, S, grain="day; DROP TABLE surveys")  # type: ignore[arg-type]


def test_csat_trend_per_month() -> None:
    # April: 5, 2 → 50 %, mean 3.5; May: 4 → 100 %, mean 4; CES only in May: 3.
    shop = Shop().customer("a")
    shop.survey("a", "2024-04-01", "csat", 5).survey("a", "2024-04-30", "csat", 2)
    shop.survey("a", "2024-05-05", "csat", 4).survey("a", "2024-05-06", "ces", 3)
    df = satisfaction.csat_trend(shop.con, S)
    assert df["csat"].tolist() == [50.0, 100.0]
    assert df["csat_mean"].tolist() == [3.5, 4.0]
    assert df["ces_n"].tolist() == [0, 1]


def test_by_region_groups_answers_by_the_customers_region() -> None:
    # east: a 10, b 0 → 0, n 2; west: c 9 → 100, n 1. Most answers first.
    shop = Shop().customers("a", "b", region="east").customer("c", region="west")
    shop.survey("a", "2024-06-01", "nps", 10).survey("b", "2024-06-01", "nps", 0)
    shop.survey("c", "2024-06-01", "nps", 9)
    df = satisfaction.by_group(shop.con, S, by="region")
    assert df["group"].tolist() == ["east", "west"]
    assert df["nps"].tolist() == [0.0, 100.0]
    assert df["nps_small"].tolist() == [True, True]


def test_by_segment_uses_the_rfm_segment_as_of(four_answers: Shop) -> None:
    # a bought recently, often and much; d bought once, long ago, little. With two scored
    # customers the means split them: a = champions, d = general_win_back. b and c never
    # ordered: no segment (None).
    con = four_answers.con
    four_answers.order("a", "2024-06-20", 500).order("a", "2024-05-20", 500)
    four_answers.order("d", "2023-01-10", 10)
    df = satisfaction.by_group(con, S, by="segment").set_index("group")
    assert df.loc["champions", "nps"] == 100.0
    assert df.loc["general_win_back", "nps"] == -100.0
    assert df["responses"].sum() == 4


def test_unknown_group_is_refused() -> None:
    with pytest.raises(ValueError):
        satisfaction.by_group(Shop().con, S, by="name")  # type: ignore[arg-type]


def test_filters_and_row_scope_restrict_the_answers() -> None:
    # Only wang's customer a (10) is visible to a user scoped to wang; an empty scope sees none.
    shop = Shop().customer("a", owner="wang").customer("b", owner="li")
    shop.survey("a", "2024-06-01", "nps", 10).survey("b", "2024-06-01", "nps", 0)
    assert satisfaction.overall(shop.con, S, Filters(scope_owners=("wang",)))["nps"] == 100.0
    assert satisfaction.overall(shop.con, S, Filters(scope_owners=()))["nps_n"] == 0
    assert satisfaction.overall(shop.con, S, Filters(regions=("north",)))["nps"] is None


def test_answers_of_customers_missing_from_customer_file_are_not_analysed() -> None:
    shop = Shop().customer("a").survey("a", "2024-06-01", "nps", 10)
    shop.survey("ghost", "2024-06-01", "nps", 0)
    assert satisfaction.overall(shop.con, S)["nps_n"] == 1


def test_score_distribution_lists_every_score_of_the_scale(four_answers: Shop) -> None:
    # NPS 0–10 → 11 rows; 3, 7, 9, 10 once each (25 % each), the rest 0.
    df = satisfaction.score_distribution(four_answers.con, S, scale="nps")
    assert df["score"].tolist() == list(range(11))
    assert df.set_index("score")["n"].to_dict() == {
        0: 0, 1: 0, 2: 0, 3: 1, 4: 0, 5: 0, 6: 0, 7: 1, 8: 0, 9: 1, 10: 1}
    assert df["share"].sum() == pytest.approx(100.0)


def test_detractors_are_latest_nps_0_to_6_highest_value_first() -> None:
    # small: last NPS 2, spent 100; big: last NPS 5, spent 900 → big first.
    # was_unhappy answered 3 then 9: its latest answer is a promoter, so not listed.
    shop = Shop().customers("small", "big", "was_unhappy")
    shop.order("small", "2024-06-01", 100).order("big", "2024-06-01", 900)
    shop.order("was_unhappy", "2024-06-01", 5000)
    shop.survey("small", "2024-06-02", "nps", 2).survey("big", "2024-06-02", "nps", 5)
    shop.survey("was_unhappy", "2024-05-01", "nps", 3).survey("was_unhappy", "2024-06-01", "nps", 9)
    df = satisfaction.detractors(shop.con, S)
    assert df["customer_id"].tolist() == ["big", "small"]
    assert df["last_score"].tolist() == [5, 2]
    assert df["monetary"].tolist() == [900.0, 100.0]


def test_complaints_per_month_count_and_share() -> None:
    # May: 1 complaint among 4 rows → 25 %; June: 2 complaints (same customer) of 2 rows → 100 %.
    shop = Shop().customers("a", "b")
    shop.survey("a", "2024-05-01", None, None, kind="complaint")
    for _ in range(3):
        shop.survey("b", "2024-05-02", "csat", 5)
    shop.survey("a", "2024-06-01", None, None, kind="complaint")
    shop.survey("a", "2024-06-02", None, None, kind="complaint")
    df = satisfaction.complaints_by_month(shop.con, S)
    assert df["complaints"].tolist() == [1, 2]
    assert df["customers"].tolist() == [1, 1]
    assert df["share"].tolist() == [25.0, 100.0]


def test_keywords_count_comments_containing_each_word_in_both_languages() -> None:
    # "物流" appears in 2 of 4 comments (50 %), once in a complaint → negative share 50 %;
    # "delivery" in 2 comments (slow delivery twice counts once per comment); "the" is a stopword.
    shop = Shop().customers("a", "b")
    comment(shop, "a", "2024-06-01", "物流太慢了", kind="complaint")
    comment(shop, "a", "2024-06-02", "物流很快，客服态度好", scale="nps", score=10)
    comment(shop, "b", "2024-06-03", "The delivery was slow, slow delivery", scale="nps", score=8)
    comment(shop, "b", "2024-06-04", "fast delivery", scale="csat", score=5)
    df = satisfaction.keywords(shop.con, S).set_index("keyword")
    assert df.loc["物流", "comments"] == 2 and df.loc["物流", "lang"] == "zh"
    assert df.loc["物流", "share"] == 50.0 and df.loc["物流", "negative_share"] == 50.0
    assert df.loc["delivery", "comments"] == 2 and df.loc["delivery", "lang"] == "en"
    assert "the" not in df.index and "客服" in df.index


def test_comments_for_keyword_finds_matching_comments_newest_first() -> None:
    shop = Shop().customers("a", "b")
    comment(shop, "a", "2024-06-01", "物流太慢了", kind="complaint")
    comment(shop, "b", "2024-06-05", "物流很快")
    comment(shop, "b", "2024-06-06", "Packaging 100% fine")
    df = satisfaction.comments_for_keyword(shop.con, S, keyword="物流")
    assert df["comment"].tolist() == ["物流很快", "物流太慢了"]
    assert df["kind"].tolist() == ["survey", "complaint"]
    # % and _ are matched literally, not as LIKE wildcards.
    assert satisfaction.comments_for_keyword(shop.con, S, keyword="0%")["comment"].tolist() == [
        "Packaging 100% fine"]
    assert satisfaction.comments_for_keyword(shop.con, S, keyword="_").empty


# --- the sidebar's date range: only answers dated in [start, end] count -----------------------

APRIL_MAY = {"start": d("2024-04-01"), "end": d("2024-05-31")}


@pytest.fixture
def three_months() -> Shop:
    # As of 2024-06-30; the range April–May. March and June answers lie outside it.
    #   March 15: a 0, b 0             (before the range)
    #   April 10: a 10, b 9, c 10      (in)
    #   May 20:   d 8, e 3             (in)
    #   June 5:   a 0, c 0             (after the range, before as_of)
    shop = Shop().customers("a", "b", "c", "d", "e")
    shop.survey("a", "2024-03-15", "nps", 0).survey("b", "2024-03-15", "nps", 0)
    shop.survey("a", "2024-04-10", "nps", 10).survey("b", "2024-04-10", "nps", 9)
    shop.survey("c", "2024-04-10", "nps", 10)
    shop.survey("d", "2024-05-20", "nps", 8).survey("e", "2024-05-20", "nps", 3)
    shop.survey("a", "2024-06-05", "nps", 0).survey("c", "2024-06-05", "nps", 0)
    return shop


def test_nps_over_a_range_excludes_answers_before_and_after_it(three_months: Shop) -> None:
    # In range: 10, 9, 10, 8, 3 → 3 promoters, 1 passive, 1 detractor of 5 → (3 − 1) / 5 = +40.
    # All history as of June 30 adds four 0s: 3 promoters, 5 detractors of 9 → −22.2.
    inside = satisfaction.overall(three_months.con, S, **APRIL_MAY)
    assert (inside["nps_n"], inside["promoters"], inside["passives"], inside["detractors"]) == (5, 3, 1, 1)
    assert inside["nps"] == pytest.approx(40.0)
    everything = satisfaction.overall(three_months.con, S)
    assert everything["nps_n"] == 9 and everything["nps"] == pytest.approx(-200 / 9)


def test_range_end_after_as_of_stops_at_as_of(three_months: Shop) -> None:
    # A range to 2024-12-31 still ends at as_of 2024-06-30; a September 0 has not happened yet.
    three_months.survey("b", "2024-09-01", "nps", 0)
    out = satisfaction.overall(three_months.con, S, start=d("2024-06-01"), end=d("2024-12-31"))
    assert (out["nps_n"], out["nps"]) == (2, -100.0)


def test_trends_list_only_the_periods_of_the_range(three_months: Shop) -> None:
    # Month grain, April–May: April 10, 9, 10 → +100 (n 3); May 8, 3 → (0 − 1) / 2 = −50 (n 2).
    df = satisfaction.nps_trend(three_months.con, S, grain="month", **APRIL_MAY)
    assert list(df["period"]) == [pd.Timestamp("2024-04-01"), pd.Timestamp("2024-05-01")]
    assert list(df["n"]) == [3, 2] and df["nps"].tolist() == [100.0, -50.0]
    # A range starting mid-April cuts April to its days inside: the 10 April answers drop out.
    cut = satisfaction.nps_trend(three_months.con, S, grain="month", start=d("2024-04-15"), end=d("2024-05-31"))
    assert list(cut["period"]) == [pd.Timestamp("2024-05-01")]


def test_csat_trend_by_week_within_the_range() -> None:
    # Weeks of Mon 06-03 and Mon 06-10; the range 06-05 … 06-12 keeps 06-05 (5) and 06-12 (2),
    # drops 06-03 (1) and 06-14 (1): week of 06-03 → 100 %, week of 06-10 → 0 %.
    shop = Shop().customer("a")
    for day, score in (("2024-06-03", 1), ("2024-06-05", 5), ("2024-06-12", 2), ("2024-06-14", 1)):
        shop.survey("a", day, "csat", score)
    df = satisfaction.csat_trend(shop.con, S, grain="week", start=d("2024-06-05"), end=d("2024-06-12"))
    assert list(df["period"]) == [pd.Timestamp("2024-06-03"), pd.Timestamp("2024-06-10")]
    assert df["csat"].tolist() == [100.0, 0.0] and df["n"].tolist() == [1, 1]


def test_groups_and_distribution_count_only_answers_in_the_range(three_months: Shop) -> None:
    # Everyone is in region east: in range the group is the overall +40 of 5 answers.
    groups = satisfaction.by_group(three_months.con, S, by="region", **APRIL_MAY)
    assert groups["group"].tolist() == ["east"]
    assert (groups["nps_n"].iloc[0], groups["nps"].iloc[0]) == (5, pytest.approx(40.0))
    # Scores in range: 3, 8, 9, 10, 10 — the four 0s are outside.
    dist = satisfaction.score_distribution(three_months.con, S, scale="nps", **APRIL_MAY).set_index("score")["n"]
    assert dist[0] == 0 and (dist[3], dist[8], dist[9], dist[10]) == (1, 1, 1, 2) and dist.sum() == 5


def test_segment_groups_count_range_answers_but_keep_the_segment_as_of(four_answers: Shop) -> None:
    # As in test_by_segment_uses_the_rfm_segment_as_of, a = champions and d = general_win_back
    # as of June 30. a also answered 0 in April: over all history champions are (10, 0) → 0;
    # over June only, (10) → +100. d's segment comes from a 2023 order, long before June.
    con = four_answers.con
    four_answers.order("a", "2024-06-20", 500).order("a", "2024-05-20", 500)
    four_answers.order("d", "2023-01-10", 10)
    four_answers.survey("a", "2024-04-01", "nps", 0)
    june = {"start": d("2024-06-01"), "end": d("2024-06-30")}
    assert satisfaction.by_group(con, S, by="segment").set_index("group").loc["champions", "nps"] == 0.0
    df = satisfaction.by_group(con, S, by="segment", **june).set_index("group")
    assert df.loc["champions", "nps"] == 100.0 and df.loc["champions", "nps_n"] == 1
    assert df.loc["general_win_back", "nps"] == -100.0


def test_detractors_use_the_latest_answer_inside_the_range() -> None:
    # Range April–May, as of June 30.
    #   x: 3 on 04-10, then 9 on 06-10 (after the range) → latest in range 3: listed
    #   y: 2 on 03-01 (before the range), then 9 on 05-01 → latest in range 9: not listed
    #   z: 9 on 03-01 (before), then 4 on 05-15 → listed
    # Value is as of the reference date: x's ¥500 order of 06-20 (after the range) counts.
    # Complaints are those in the range: x complained 03-01 (out) and 04-02 (in) → 1.
    shop = Shop().customers("x", "y", "z")
    shop.order("x", "2024-06-20", 500).order("z", "2024-01-05", 100).order("y", "2024-01-05", 50)
    shop.survey("x", "2024-04-10", "nps", 3).survey("x", "2024-06-10", "nps", 9)
    shop.survey("y", "2024-03-01", "nps", 2).survey("y", "2024-05-01", "nps", 9)
    shop.survey("z", "2024-03-01", "nps", 9).survey("z", "2024-05-15", "nps", 4)
    shop.survey("x", "2024-03-01", None, None, kind="complaint")
    shop.survey("x", "2024-04-02", None, None, kind="complaint")
    df = satisfaction.detractors(shop.con, S, **APRIL_MAY)
    assert df["customer_id"].tolist() == ["x", "z"]
    assert df["last_score"].tolist() == [3, 4]
    assert [str(v)[:10] for v in df["last_survey_date"]] == ["2024-04-10", "2024-05-15"]
    assert df["monetary"].tolist() == [500.0, 100.0]
    assert df["complaint_count"].tolist() == [1, 0]
    # Without a range the latest answers as of June 30 count: x (9) and y (9) are not detractors,
    # and x's complaints are both counted.
    whole = satisfaction.detractors(shop.con, S)
    assert whole["customer_id"].tolist() == ["z"]


def test_complaints_keywords_and_comments_are_restricted_to_the_range() -> None:
    # March: a complaint "物流太慢" (out); April: a complaint "包装破损" and a CSAT 5 "包装很好" (in);
    # June: a complaint "物流又慢了" (out). April–May: one month, 1 complaint of 2 rows → 50 %.
    shop = Shop().customers("a", "b")
    comment(shop, "a", "2024-03-05", "物流太慢", kind="complaint")
    comment(shop, "a", "2024-04-05", "包装破损", kind="complaint")
    comment(shop, "b", "2024-04-06", "包装很好", scale="csat", score=5)
    comment(shop, "b", "2024-06-05", "物流又慢了", kind="complaint")
    monthly = satisfaction.complaints_by_month(shop.con, S, **APRIL_MAY)
    assert [str(m)[:7] for m in monthly["month"]] == ["2024-04"]
    assert (monthly["complaints"].iloc[0], monthly["responses"].iloc[0], monthly["share"].iloc[0]) == (1, 2, 50.0)
    words = satisfaction.keywords(shop.con, S, **APRIL_MAY).set_index("keyword")
    assert "物流" not in words.index
    # 包装 is in both April comments, one of them a complaint → 100 % of comments, 50 % negative.
    assert (words.loc["包装", "comments"], words.loc["包装", "negative_share"]) == (2, 50.0)
    assert satisfaction.comments_for_keyword(shop.con, S, keyword="物流", **APRIL_MAY).empty
    assert len(satisfaction.comments_for_keyword(shop.con, S, keyword="物流")) == 2


def test_answer_dates_tell_an_empty_range_from_an_empty_database(three_months: Shop) -> None:
    assert satisfaction.answer_dates(three_months.con, S) == (d("2024-03-15"), d("2024-06-05"))
    assert satisfaction.answer_dates(Shop().con, S) == (None, None)
