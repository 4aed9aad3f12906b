"""The sidebar's date range: which stretch of time the trends and period measures look at.

Two dates answer two questions. The **reference date** (``Settings.as_of``) says *when* a state
is judged — segments, tiers, stages, churn risk are "as of" it. The **date range** says *which
events* are summed or drawn — revenue and NPS trends, cohorts, stage history, survey answers,
complaints. The range never reaches past the reference date (later orders have not happened).

Presets count whole calendar months back from the reference date's month ("last 12 months" with
as_of 2026-10-31 = 2025-11-01 … 2026-10-31), so monthly charts never start with a cut month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

PRESET_MONTHS: dict[str, int] = {"3m": 3, "6m": 6, "12m": 12, "24m": 24}
PRESETS: tuple[str, ...] = ("3m", "6m", "12m", "24m", "ytd", "all", "custom")
DEFAULT_PRESET = "12m"


def month_start(d: date) -> date:
    """The first day of ``d``'s month."""
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    """The first day of the month ``months`` away from ``d``'s month."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(d: date) -> date:
    """The last day of ``d``'s month."""
    return add_months(d, 1) - timedelta(days=1)


@dataclass(frozen=True)
class DateRange:
    """A closed range of days ``start … end`` (``end`` ≤ the reference date) and how it was chosen."""

    start: date
    end: date
    preset: str = DEFAULT_PRESET

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"date range starts after it ends: {self.start} > {self.end}")

    @property
    def days(self) -> int:
        """Number of days in the range, both ends included."""
        return (self.end - self.start).days + 1

    def month_starts(self) -> list[date]:
        """First days of every month the range touches, oldest first."""
        out, cur = [], month_start(self.start)
        while cur <= self.end:
            out.append(cur)
            cur = add_months(cur, 1)
        return out

    def month_ends(self) -> list[date]:
        """The month ends inside the range, oldest first; the last one is ``end`` itself when
        ``end`` is not a month end (the running month is shown as of that day)."""
        ends = [min(month_end(m), self.end) for m in self.month_starts()]
        return [e for e in ends if e >= self.start]

    @property
    def months(self) -> int:
        """How many calendar months the range touches (≥ 1)."""
        return len(self.month_starts())

    def previous(self) -> DateRange:
        """The range to compare with ("vs previous"), just before this one.

        A range starting on the 1st (every preset) moves back by its number of months, ends
        included: 2025-11-01…2026-10-15 → 2024-11-01…2025-10-15, so both cover the same part
        of the year and read naturally. Any other range: the same number of days just before.
        """
        if self.start.day == 1:
            n = self.months
            end = self.end
            shifted = add_months(end, -n)
            last = month_end(shifted)
            p_end = last if end == month_end(end) else shifted.replace(day=min(end.day, last.day))
            return DateRange(add_months(self.start, -n), p_end, "custom")
        end = self.start - timedelta(days=1)
        return DateRange(end - timedelta(days=self.days - 1), end, "custom")


def from_preset(preset: str, as_of: date, earliest: date | None = None) -> DateRange:
    """The range a preset means for this reference date; ``all`` starts at ``earliest``
    (the first order date; ``as_of`` itself when there is none). ``custom`` is not a preset."""
    if preset in PRESET_MONTHS:
        return DateRange(add_months(as_of, 1 - PRESET_MONTHS[preset]), as_of, preset)
    if preset == "ytd":
        return DateRange(date(as_of.year, 1, 1), as_of, preset)
    if preset == "all":
        return DateRange(min(earliest or as_of, as_of), as_of, preset)
    raise ValueError(f"unknown date range preset {preset!r}; one of {', '.join(PRESETS[:-1])}")


def custom(start: date, end: date, as_of: date) -> DateRange:
    """A hand-picked range, its end capped at the reference date and its start at the end."""
    end = min(end, as_of)
    return DateRange(min(start, end), end, "custom")
