"""Analysis thresholds with the defaults of METRICS.md, as one frozen dataclass.

The what-if page makes a changed copy with ``dataclasses.replace``; nothing here is global state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any, Literal


@dataclass(frozen=True)
class Settings:
    """Every threshold a metric depends on. ``as_of=None`` means "latest order date"."""

    as_of: date | None = None
    window_days: int | None = None  # RFM analysis window; None = all history
    rfm_compare: Literal["mean", "median"] = "mean"
    score_buckets: int = 5
    abc_a: float = 0.70
    abc_b: float = 0.90
    new_days: int = 90
    risk_days: int = 90
    churn_days: int = 180
    cycle_factor: float = 2.0
    loyal_orders: int = 5
    horizon_days: int = 90
    small_sample_n: int = 30
    min_train_customers: int = 200
    min_label_count: int = 20
    no_followup_days: int = 30

    def with_(self, **changes: Any) -> Settings:
        """A copy with some thresholds changed (what-if)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain values, e.g. for a cache key or the URL."""
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat() if self.as_of else None
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Build from stored/URL values, ignoring unknown keys and coercing types."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known or value is None or value == "":
                continue
            default = getattr(cls(), key)
            if key == "as_of":
                kwargs[key] = value if isinstance(value, date) else date.fromisoformat(str(value))
            elif key == "window_days":
                kwargs[key] = int(value)
            elif isinstance(default, bool):
                kwargs[key] = str(value).lower() in ("1", "true", "yes")
            elif isinstance(default, int):
                kwargs[key] = int(float(value))
            elif isinstance(default, float):
                kwargs[key] = float(value)
            else:
                kwargs[key] = str(value)
        s = cls(**kwargs)
        s.validate()
        return s

    def validate(self) -> None:
        """Refuse combinations that make no sense, with a readable reason."""
        from core.errors import KehuError

        if not 0 < self.abc_a < self.abc_b <= 1:
            raise KehuError("ABC cut-offs must satisfy 0 < A < B ≤ 1 (e.g. 0.70 and 0.90).")
        if not 0 < self.risk_days < self.churn_days:
            raise KehuError("risk_days must be positive and smaller than churn_days.")
        if self.rfm_compare not in ("mean", "median"):
            raise KehuError("rfm_compare must be 'mean' or 'median'.")
        if not 2 <= self.score_buckets <= 10:
            raise KehuError("score_buckets must be between 2 and 10.")
        if self.new_days <= 0 or self.loyal_orders < 1 or self.cycle_factor <= 0:
            raise KehuError("new_days, loyal_orders and cycle_factor must be positive.")
        if self.horizon_days <= 0:
            raise KehuError("horizon_days must be positive.")


DEFAULT = Settings()
