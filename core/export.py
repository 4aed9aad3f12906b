"""Table exports that open cleanly in Chinese Excel (UTF-8 BOM CSV, XLSX) and cannot carry formulas."""

from __future__ import annotations

import io

import pandas as pd

# OWASP: a cell starting with these is evaluated by spreadsheets even inside quotes.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\x00")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with ``'``; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and headers are neutralised (numbers stay numbers: -5 is a refund)."""
    out = df.copy()
    out.columns = [str(neutralise(str(c))) for c in out.columns]
    for col in out.columns:
        s = out[col]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            out[col] = s.map(neutralise, na_action="ignore")
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a BOM, so Excel on a Chinese Windows shows 中文 instead of mojibake."""
    return safe_frame(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """XLSX via xlsxwriter: bold frozen header, sensible widths, formulas never written as formulas."""
    buf = io.BytesIO()
    frame = safe_frame(df)
    for col in frame.columns:  # Excel has no timezone-aware datetimes
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_localize(None)
    with pd.ExcelWriter(buf, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False,
                                                   "strings_to_numbers": False}}) as writer:
        name = (sheet_name or "data")[:31]
        frame.to_excel(writer, sheet_name=name, index=False)
        ws = writer.sheets[name]
        ws.freeze_panes(1, 0)
        for i, col in enumerate(frame.columns):
            sample = frame[col].head(200).astype("string").fillna("")
            width = max([len(str(col))] + [len(v) for v in sample]) if len(frame) else len(str(col))
            ws.set_column(i, i, min(max(width + 2, 8), 50))
    return buf.getvalue()
