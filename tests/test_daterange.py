"""The sidebar's date range: presets in whole months back from the reference date, custom ranges
capped at it, month ends for the month-end series and the previous range for comparisons."""

from __future__ import annotations

from datetime import date

import pytest

from core import daterange
from core.daterange import DateRange

AS_OF = date(2026, 10, 31)


@pytest.mark.parametrize(("preset", "start", "months"), [
    ("3m", date(2026, 8, 1), 3),
    ("6m", date(2026, 5, 1), 6),
    ("12m", date(2025, 11, 1), 12),
    ("24m", date(2024, 11, 1), 24),
    ("ytd", date(2026, 1, 1), 10),
])
def test_presets_are_whole_months_ending_at_the_reference_date(preset: str, start: date, months: int) -> None:
    r = daterange.from_preset(preset, AS_OF)
    assert (r.start, r.end, r.months, r.preset) == (start, AS_OF, months, preset)


def test_all_history_starts_at_the_first_order() -> None:
    r = daterange.from_preset("all", AS_OF, earliest=date(2023, 11, 3))
    # 2023-11-03 → 2024-11-03 is 366 days (29 Feb), → 2025-11-03 365, → 2026-10-31 362; +1 for both ends
    assert (r.start, r.end, r.days) == (date(2023, 11, 3), AS_OF, 1094)


def test_a_mid_month_reference_date_ends_the_last_month_on_that_day() -> None:
    r = daterange.from_preset("3m", date(2026, 10, 15))
    assert r.start == date(2026, 8, 1)
    assert r.month_ends() == [date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 15)]
    assert r.month_starts() == [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]


def test_custom_range_touches_partial_months_and_never_passes_the_reference_date() -> None:
    r = daterange.custom(date(2026, 2, 20), date(2026, 12, 31), AS_OF)
    assert (r.start, r.end, r.preset) == (date(2026, 2, 20), AS_OF, "custom")
    assert r.months == 9  # Feb … Oct
    assert r.month_ends()[0] == date(2026, 2, 28)  # the month end inside the range


def test_custom_range_with_both_days_after_the_reference_date_collapses_to_it() -> None:
    r = daterange.custom(date(2027, 1, 1), date(2027, 2, 1), AS_OF)
    assert (r.start, r.end, r.days) == (AS_OF, AS_OF, 1)


def test_previous_of_whole_months_is_the_months_before() -> None:
    p = daterange.from_preset("3m", AS_OF).previous()  # 2026-08-01 … 10-31
    assert (p.start, p.end, p.days) == (date(2026, 5, 1), date(2026, 7, 31), 92)


def test_previous_of_a_month_aligned_range_ending_mid_month_ends_on_the_same_day() -> None:
    r = daterange.from_preset("12m", date(2026, 10, 15))  # 2025-11-01 … 2026-10-15
    p = r.previous()
    assert (p.start, p.end) == (date(2024, 11, 1), date(2025, 10, 15))
    # a 31st moved into a 30-day month stops at that month's end
    q = daterange.custom(date(2026, 3, 1), date(2026, 5, 31), date(2026, 5, 31)).previous()
    assert (q.start, q.end) == (date(2025, 12, 1), date(2026, 2, 28))
    m = daterange.custom(date(2026, 3, 1), date(2026, 3, 30), date(2026, 5, 31)).previous()
    assert (m.start, m.end) == (date(2026, 2, 1), date(2026, 2, 28))


def test_previous_of_any_other_range_has_the_same_number_of_days_just_before() -> None:
    p = daterange.custom(date(2026, 2, 10), date(2026, 2, 19), AS_OF).previous()  # 10 days
    assert (p.start, p.end, p.days) == (date(2026, 1, 31), date(2026, 2, 9), 10)


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="starts after it ends"):
        DateRange(date(2026, 2, 1), date(2026, 1, 1))


def test_unknown_preset_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'9m'"):
        daterange.from_preset("9m", AS_OF)
