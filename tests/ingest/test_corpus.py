"""Every file of the corpus gives exactly the rows, rejects and warnings expected — or a clear
refusal that names the file and leaves the database byte-for-byte as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from core import db
from core.errors import ImportRefused
from core.ingest import import_files

from .corpus import CASES, ROW_SQL, Case

STATE_TABLES = ("customers", "orders", "surveys", "imports", "rejects", "audit_log", "settings", "data_version")


def state_checksum(con) -> str:
    """Hash of every row of every table an import may touch (sorted, so order does not matter)."""
    h = hashlib.sha256()
    for table in STATE_TABLES:
        rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        h.update(f"{table}:{rows!r}".encode())
    return h.hexdigest()


def run_setup(con, case: Case, folder: Path) -> None:
    for i, (kind, text) in enumerate(case.setup):
        p = folder / f"setup_{i}.csv"
        p.write_text(text, encoding="utf-8")
        import_files(con, [p], kind, folder)


def test_corpus_is_big_enough():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_file(case: Case, tmp_path: Path):
    con = db.connect(":memory:")
    run_setup(con, case, tmp_path)
    path = case.write(tmp_path)
    if case.error:
        before = state_checksum(con)
        with pytest.raises(ImportRefused) as err:
            import_files(con, [path], case.kind, tmp_path, mode=case.mode, **case.options)
        for fragment in case.error:
            assert fragment in str(err.value)
        assert state_checksum(con) == before
        return
    [report] = import_files(con, [path], case.kind, tmp_path, mode=case.mode, username="tester",
                            **case.options)
    assert con.execute(ROW_SQL[case.kind]).fetchall() == sorted(case.rows, key=_sort_key)
    rejects = con.execute(
        "SELECT row_number, reason, column_name FROM rejects WHERE import_id = ? ORDER BY row_number",
        [report.import_id],
    ).fetchall()
    assert rejects == case.rejects
    assert report.rejected == len(case.rejects)
    assert report.loaded == con.execute(
        f"SELECT count(*) FROM {case.kind} WHERE import_id = ?", [report.import_id]).fetchone()[0]
    if case.warnings is not None:
        assert report.warnings == case.warnings


def _sort_key(row: tuple) -> tuple:
    return tuple((v is None, v if v is not None else "") if not isinstance(v, int) else (False, v) for v in row)
