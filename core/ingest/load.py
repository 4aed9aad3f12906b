"""Atomic load: stage → clean → plan → one transaction (append/upsert/replace), rejects, history, undo.

Staged rows live in an in-memory attached database (``kehu_stage``), so nothing touches the Kehu
file until the single merging transaction; ``CHECKPOINT`` follows every commit.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from core import db
from core.errors import ImportRefused, NotFound
from core.i18n import t
from core.ingest import clean as cleaning
from core.ingest import mapping as mp
from core.ingest.read import STAGE_DB, FileInfo, attach_stage, inspect_file, stage_raw

MODES = ("append", "upsert", "replace")
COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "name", "phone", "email", "region", "city", "channel", "owner", "team",
                  "signup_date"),
    "orders": ("order_id", "customer_id", "order_date", "amount", "status", "product", "category", "channel"),
    "surveys": ("survey_id", "customer_id", "order_id", "survey_date", "scale", "score", "kind", "comment",
                "channel"),
}


@dataclass
class Staged:
    """One file read into the staging database, with its current mapping and value profile."""

    token: str
    info: FileInfo
    kind: str
    rows: int  # data rows DuckDB could split into columns
    malformed: int  # lines it could not (wrong number of fields, bad bytes)
    mapping: list[str | None]
    profile: cleaning.Profile | None = None
    opts: cleaning.Options = field(default_factory=cleaning.Options)

    @property
    def rows_read(self) -> int:
        return self.rows + self.malformed

    @property
    def table(self) -> str:
        return f"{STAGE_DB}.{self.token}"


@dataclass
class ImportReport:
    """What one import did; ``reasons`` counts rejected rows per reason code."""

    import_id: int
    file: str
    kind: str
    mode: str
    rows_read: int
    loaded: int
    rejected: int
    reasons: dict[str, int]
    warnings: dict[str, int]
    replaced: int = 0


def _check_kind_mode(kind: str, mode: str, lang: str) -> None:
    if kind not in mp.KINDS:
        raise ImportRefused(t("data.err.kind", lang, kind=kind))
    if mode not in MODES:
        raise ImportRefused(t("data.err.mode", lang, mode=mode))


def stage(con: duckdb.DuckDBPyConnection, path: str | Path, kind: str, workdir: str | Path, *,
          name: str | None = None, encoding: str | None = None, sheet: str | None = None,
          lang: str = "en") -> Staged:
    """Read ``path`` into staging; the mapping starts from the remembered or suggested one."""
    _check_kind_mode(kind, "append", lang)
    info = inspect_file(Path(path), name, Path(workdir), mp.recognised_count, encoding=encoding,
                        sheet=sheet, lang=lang)
    token = "s" + uuid.uuid4().hex[:16]
    rows, bad = stage_raw(con, info, token, lang)
    if rows == 0:
        drop(con, token)
        raise ImportRefused(t("data.err.no_rows", lang, file=info.name))
    mapping = mp.initial_mapping(con, info.headers, kind)
    return Staged(token=token, info=info, kind=kind, rows=rows, malformed=bad, mapping=mapping)


def prepare(con: duckdb.DuckDBPyConnection, st: Staged, mapping: list[str | None] | None = None,
            opts: cleaning.Options | None = None, lang: str = "en") -> cleaning.Profile:
    """Validate the mapping and type the values (``<token>_clean``); refuses a mapping that cannot work."""
    if mapping is not None:
        st.mapping = list(mapping)
    if opts is not None:
        st.opts = opts
    mp.validate(st.info.headers, st.kind, st.mapping, st.info.name, lang)
    st.profile = cleaning.build(con, st.token, st.kind, st.info.headers, st.mapping, st.opts)
    return st.profile


def plan(con: duckdb.DuckDBPyConnection, st: Staged, mode: str, lang: str = "en") -> None:
    """View ``<token>_final``: every row with its final ``reason`` (NULL = will load) for this mode.

    When neither a duplicate check nor an existing-key check can change a reason (orders appended to an
    empty table, upsert, replace) the view reads the clean table directly: no copy of the rows.
    """
    _check_kind_mode(st.kind, mode, lang)
    if st.profile is None:
        prepare(con, st, lang=lang)
    key = mp.KEYS[st.kind]
    clean_t = f"{st.table}_clean"
    # Orders may repeat an order_id (order lines, refund rows); customers and surveys may not:
    # the last row of a key in the file wins, earlier ones are rejected as duplicates.
    dup = ("false" if st.kind == "orders" else
           f"(_reason IS NULL AND row_number() OVER (PARTITION BY {key}, _reason IS NULL ORDER BY _row DESC) > 1)")
    existing = mode == "append" and con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM main.{st.kind} LIMIT 1)"  # noqa: S608 - own names
    ).fetchall()[0][0] > 0
    exists = f"(_reason IS NULL AND {key} IN (SELECT {key} FROM main.{st.kind}))" if existing else "false"  # noqa: S608
    reason = (f"CASE WHEN _reason IS NOT NULL THEN _reason WHEN {dup} THEN 'duplicate_in_file' "
              f"WHEN {exists} THEN 'already_exists' END AS reason, "
              f"CASE WHEN _reason IS NOT NULL THEN _col ELSE '{key}' END AS reason_col")
    con.execute(f"DROP TABLE IF EXISTS {st.table}_planned")
    if dup == "false" and exists == "false":
        con.execute(f"CREATE OR REPLACE VIEW {st.table}_final AS SELECT *, {reason} FROM {clean_t}")  # noqa: S608
        return
    # The window function does not keep the file order: sort back by _row.
    order = "" if dup == "false" else " ORDER BY _row"
    con.execute(f"CREATE TABLE {st.table}_planned AS SELECT *, {reason} FROM {clean_t}{order}")  # noqa: S608
    con.execute(f"CREATE OR REPLACE VIEW {st.table}_final AS SELECT * FROM {st.table}_planned")  # noqa: S608


def _select_list(con: duckdb.DuckDBPyConnection, st: Staged) -> str:
    have = {r[0] for r in con.execute(f"DESCRIBE {st.table}_final").fetchall()}
    return ", ".join(c if c in have else f"NULL AS {c}" for c in COLUMNS[st.kind])


def _load_one(con: duckdb.DuckDBPyConnection, st: Staged, mode: str, username: str | None,
              lang: str) -> ImportReport:
    """The body of the merge; the caller holds the transaction."""
    kind, key = st.kind, mp.KEYS[st.kind]
    final = f"{st.table}_final"
    import_id = db.next_import_id(con)
    backup = f"backup_{int(import_id)}_{kind}"
    replaced = 0
    if mode == "upsert":
        con.execute(f"CREATE TABLE {backup} AS SELECT * FROM main.{kind} WHERE {key} IN "  # noqa: S608
                    f"(SELECT {key} FROM {final} WHERE reason IS NULL)")
        replaced = con.execute(f"SELECT count(*) FROM {backup}").fetchall()[0][0]  # noqa: S608
        con.execute(f"DELETE FROM main.{kind} WHERE {key} IN (SELECT {key} FROM {backup})")  # noqa: S608
    elif mode == "replace":
        con.execute(f"CREATE TABLE {backup} AS SELECT * FROM main.{kind}")  # noqa: S608
        replaced = con.execute(f"SELECT count(*) FROM {backup}").fetchall()[0][0]  # noqa: S608
        con.execute(f"DELETE FROM main.{kind}")  # noqa: S608
        # The imports whose rows just left the table are superseded (undo brings them back).
        con.execute("UPDATE imports SET status = 'replaced', replaced_by = ? WHERE kind = ? AND status = 'done'",
                    [import_id, kind])
    cols = ", ".join(COLUMNS[kind])
    con.execute(
        f"INSERT INTO main.{kind} ({cols}, extra, import_id) SELECT {_select_list(con, st)}, extra, ? "  # noqa: S608
        f"FROM {final} WHERE reason IS NULL",  # the final rows are in file order already
        [import_id],
    )
    # Rows the values rejected carry their original cells (``_raw``); rows rejected by the plan
    # (duplicate, already loaded) fetch them from the staged text.
    con.execute(
        f"INSERT INTO rejects (import_id, row_number, column_name, raw, reason) SELECT ?, _row, reason_col, "  # noqa: S608
        f"_raw, reason FROM {final} WHERE _reason IS NOT NULL ORDER BY _row",
        [import_id],
    )
    planned = con.execute(
        f"SELECT count(*) FROM {final} WHERE reason IS NOT NULL AND _reason IS NULL"  # noqa: S608 - own names
    ).fetchall()[0][0]
    if planned:
        raw_sql, params = cleaning.raw_json(st.info.headers)
        params["id"] = import_id
        con.execute(
            f"INSERT INTO rejects (import_id, row_number, column_name, raw, reason) SELECT $id, _row, reason_col, "  # noqa: S608
            f"CAST({raw_sql} AS VARCHAR), reason FROM (SELECT _row, reason, reason_col FROM {final} "
            f"WHERE reason IS NOT NULL AND _reason IS NULL) JOIN {st.table}_rows USING (_row) ORDER BY _row",
            params,
        )
    con.execute(
        f"INSERT INTO rejects (import_id, row_number, column_name, raw, reason) SELECT ?, line, NULL, raw, "  # noqa: S608
        f"'malformed_line' FROM {st.table}_bad ORDER BY line",
        [import_id],
    )
    loaded, rejected = con.execute(
        f"SELECT count(*) FILTER (reason IS NULL), count(*) FILTER (reason IS NOT NULL) FROM {final}"  # noqa: S608
    ).fetchall()[0]
    rejected += st.malformed
    reasons = dict(con.execute(
        "SELECT reason, count(*) FROM rejects WHERE import_id = ? GROUP BY reason ORDER BY reason", [import_id]
    ).fetchall())
    warnings = _warnings(con, st, final)
    info = st.info
    mapping_doc = {"headers": info.headers, "fields": st.mapping, "header_line": info.header_line,
                   "delimiter": info.delimiter, "sheet": info.sheet, "format": info.fmt,
                   "dayfirst": st.profile.dayfirst if st.profile else None,
                   "scale": st.profile.scale if st.profile else None}
    con.execute(
        "INSERT INTO imports (import_id, kind, file_name, checksum, mode, encoding, mapping, username, "
        "finished_at, rows_read, rows_loaded, rows_rejected, status, backup) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, current_timestamp, ?, ?, ?, 'done', ?)",
        [import_id, kind, info.name, info.checksum, mode, info.encoding or info.fmt, json.dumps(mapping_doc,
         ensure_ascii=False), username, st.rows_read, loaded, rejected,
         json.dumps({"table": backup, "rows": replaced}) if mode != "append" else None],
    )
    mp.remember(con, info.headers, kind, st.mapping, username)
    con.execute(
        "INSERT INTO audit_log (username, action, detail) VALUES (?, 'import', ?)",
        [username, json.dumps({"import_id": import_id, "kind": kind, "mode": mode, "file": info.name,
                               "checksum": info.checksum, "loaded": loaded, "rejected": rejected},
                              ensure_ascii=False)],
    )
    return ImportReport(import_id, info.name, kind, mode, st.rows_read, loaded, rejected, reasons, warnings,
                        replaced)


def _repeated_ids(con: duckdb.DuckDBPyConnection, rows: str) -> int:
    """``count(*) - count(DISTINCT order_id)`` of ``rows``, cheaply when the ids never repeat."""
    # Ids strictly increasing in the order the rows are read cannot repeat: one streaming pass proves
    # it for the usual export (listed by order id). Otherwise group them (cheaper than DISTINCT).
    not_increasing, missing = con.execute(
        "SELECT count(*) FILTER (NOT (order_id > p)), count(*) FILTER (order_id IS NULL) "  # noqa: S608 - own names
        f"FROM (SELECT order_id, lag(order_id) OVER () AS p FROM {rows} f)"
    ).fetchall()[0]
    if not not_increasing and not missing:
        return 0
    return int(con.execute(
        f"SELECT coalesce(sum(n - CAST(order_id IS NOT NULL AS INTEGER)), 0) FROM (SELECT order_id, "  # noqa: S608
        f"count(*) AS n FROM {rows} f GROUP BY order_id) WHERE n > 1 OR order_id IS NULL"
    ).fetchall()[0][0])


def _warnings(con: duckdb.DuckDBPyConnection, st: Staged, final: str) -> dict[str, int]:
    """Loaded-but-worth-knowing counts: unknown customers/orders, future dates, refunds."""
    w: dict[str, int] = {}
    ok = f"(SELECT * FROM {final} WHERE reason IS NULL)"  # noqa: S608 - own names
    if st.kind in ("orders", "surveys"):
        w["unknown_customer"] = con.execute(
            f"SELECT count(*) FROM {ok} f WHERE customer_id NOT IN (SELECT customer_id FROM main.customers)"  # noqa: S608
        ).fetchall()[0][0]
    # The counts that need no other table: one pass over the rows.
    counts: dict[str, str] = {}
    date_f = {"orders": "order_date", "surveys": "survey_date", "customers": "signup_date"}[st.kind]
    if date_f in st.mapping:
        counts["future_date"] = f"count(*) FILTER ({date_f} > current_date)"
    if st.kind == "orders":
        counts["negative_amount"] = "count(*) FILTER (amount < 0)"
    if st.kind == "surveys":
        counts["complaints"] = "count(*) FILTER (kind = 'complaint')"
    if counts:
        row = con.execute(f"SELECT {', '.join(counts.values())} FROM {ok} f").fetchall()[0]  # noqa: S608
        w.update(zip(counts, row, strict=True))
    if st.kind == "orders":
        w["repeated_order_id"] = _repeated_ids(con, ok)
    if st.kind == "surveys" and "order_id" in st.mapping:
        w["unknown_order"] = con.execute(
            f"SELECT count(*) FROM {ok} f WHERE order_id IS NOT NULL AND order_id NOT IN "  # noqa: S608
            "(SELECT order_id FROM main.orders)"
        ).fetchall()[0][0]
    order = ("unknown_customer", "future_date", "negative_amount", "repeated_order_id", "unknown_order",
             "complaints")
    return {k: w[k] for k in order if w.get(k)}


def load(con: duckdb.DuckDBPyConnection, staged: list[Staged], mode: str, username: str | None = None,
         lang: str = "en") -> list[ImportReport]:
    """Merge every staged file in ONE transaction (all or nothing), then CHECKPOINT."""
    for st in staged:
        _check_kind_mode(st.kind, mode, lang)
        if st.profile is None:
            prepare(con, st, lang=lang)
        assert st.profile is not None
        if st.profile.needs_dayfirst:
            raise ImportRefused(t("data.err.dayfirst", lang, file=st.info.name,
                                  examples=", ".join(st.profile.ambiguous_examples)))
        plan(con, st, mode, lang)
    with db.transaction(con):
        reports = [_load_one(con, st, mode, username, lang) for st in staged]
        db.bump_data_version(con)
    checkpoint(con)
    return reports


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write the committed change into the file now, when no other write is open; otherwise DuckDB
    does it later by itself (the commit is durable in its log either way, so this never fails a write)."""
    try:
        con.execute("CHECKPOINT")
    except duckdb.TransactionException:
        pass


def drop(con: duckdb.DuckDBPyConnection, token: str) -> None:
    """Forget a staged file (its staging tables)."""
    attach_stage(con)
    for suffix in ("_final", "_clean", "_rows"):
        con.execute(f"DROP VIEW IF EXISTS {STAGE_DB}.{token}{suffix}")
    for suffix in ("", "_bad", "_typed", "_planned", "_shift"):
        con.execute(f"DROP TABLE IF EXISTS {STAGE_DB}.{token}{suffix}")


def import_files(con: duckdb.DuckDBPyConnection, paths: list[str | Path], kind: str, workdir: str | Path, *,
                 mode: str = "append", username: str | None = None, encoding: str | None = None,
                 sheet: str | None = None, dayfirst: bool | None = None, scale: str | None = None,
                 names: list[str] | None = None, lang: str = "en") -> list[ImportReport]:
    """Stage, check and load several files; any refusal happens before anything is written."""
    _check_kind_mode(kind, mode, lang)
    staged: list[Staged] = []
    try:
        for i, p in enumerate(paths):
            st = stage(con, p, kind, workdir, name=names[i] if names else None, encoding=encoding,
                       sheet=sheet, lang=lang)
            staged.append(st)
            prepare(con, st, opts=cleaning.Options(dayfirst=dayfirst, scale=scale), lang=lang)
        return load(con, staged, mode, username, lang)
    finally:
        for st in staged:
            drop(con, st.token)


# ---------------------------------------------------------------- history and undo


def history(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """Imports newest first: who, when, file, checksum, counts, status, and whether undo is allowed.

    ``status`` is done, undone, replaced (``replaced_by`` names the replace import that took its rows
    out of the table) or removed (the demo company, removed for good).
    """
    return con.execute(
        "SELECT i.import_id, i.kind, i.file_name, i.mode, i.encoding, i.username, i.started_at, i.rows_read, "
        "i.rows_loaded, i.rows_rejected, i.status, i.replaced_by, i.checksum, "
        "(i.status = 'done' AND i.kind IN ('customers', 'orders', 'surveys') AND NOT EXISTS (SELECT 1 FROM imports j "
        " WHERE j.kind = i.kind AND j.status = 'done' AND j.import_id > i.import_id)) AS can_undo "
        "FROM imports i ORDER BY i.import_id DESC LIMIT ?",
        [limit],
    ).df()


def rejects_frame(con: duckdb.DuckDBPyConnection, import_id: int, lang: str = "en") -> pd.DataFrame:
    """Rejected rows of one import: row number, reason in words, column, then the original cells."""
    df = con.execute(
        "SELECT row_number, reason, column_name, raw FROM rejects WHERE import_id = ? ORDER BY row_number",
        [import_id],
    ).df()
    cells = []
    for raw, reason in zip(df["raw"], df["reason"], strict=True):
        try:
            obj = json.loads(raw) if reason != "malformed_line" else {"raw": raw}
        except (TypeError, json.JSONDecodeError):
            obj = {"raw": raw}
        cells.append(obj if isinstance(obj, dict) else {"raw": raw})
    out = pd.DataFrame({
        t("data.col.row", lang): df["row_number"],
        t("data.col.reason", lang): [t(f"data.reason.{r}", lang) for r in df["reason"]],
        t("data.col.column", lang): df["column_name"],
    })
    return pd.concat([out, pd.DataFrame(cells, dtype="string")], axis=1)


def undo(con: duckdb.DuckDBPyConnection, import_id: int, username: str | None = None,
         lang: str = "en") -> int:
    """Take an import back exactly (rows deleted, replaced rows restored); only the latest per kind.

    Undoing a replace makes the imports it had superseded ``done`` again.

    Returns the number of rows removed.
    """
    row = con.execute("SELECT kind, status, mode, replaced_by FROM imports WHERE import_id = ?",
                      [import_id]).fetchone()
    if row is None:
        raise NotFound(t("data.err.no_import", lang, id=import_id))
    kind, status, mode, replaced_by = row
    if kind not in mp.KINDS:
        raise ImportRefused(t("data.err.undo_kind", lang, id=import_id))
    if status == "replaced":
        raise ImportRefused(t("data.err.undo_replaced", lang, id=import_id, by=replaced_by))
    if status == "removed":
        raise ImportRefused(t("data.err.undo_removed", lang, id=import_id))
    if status != "done":
        raise ImportRefused(t("data.err.undone", lang, id=import_id))
    later = con.execute(
        "SELECT count(*) FROM imports WHERE kind = ? AND status = 'done' AND import_id > ?", [kind, import_id]
    ).fetchone()[0]
    if later:
        raise ImportRefused(t("data.err.undo_latest", lang, id=import_id))
    backup = f"backup_{int(import_id)}_{kind}"
    has_backup = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?",
        [backup],
    ).fetchone()[0]
    with db.transaction(con):
        removed = con.execute(f"SELECT count(*) FROM main.{kind} WHERE import_id = ?", [import_id]).fetchone()[0]  # noqa: S608
        con.execute(f"DELETE FROM main.{kind} WHERE import_id = ?", [import_id])  # noqa: S608
        if has_backup:
            con.execute(f"INSERT INTO main.{kind} SELECT * FROM {backup}")  # noqa: S608
            con.execute(f"DROP TABLE {backup}")
        con.execute("UPDATE imports SET status = 'undone' WHERE import_id = ?", [import_id])
        # What this import replaced is in the table again (a removed demo import stays removed).
        con.execute("UPDATE imports SET status = 'done', replaced_by = NULL WHERE replaced_by = ? "
                    "AND status = 'replaced'", [import_id])
        con.execute("INSERT INTO audit_log (username, action, detail) VALUES (?, 'undo', ?)",
                    [username, json.dumps({"import_id": import_id, "kind": kind, "mode": mode,
                                           "removed": removed})])
        db.bump_data_version(con)
    checkpoint(con)
    return removed


def table_frame(con: duckdb.DuckDBPyConnection, kind: str) -> pd.DataFrame:
    """A whole data table for export (the ``extra`` JSON as text). Kind is checked, not pasted."""
    if kind not in mp.KINDS:
        raise ImportRefused(t("data.err.kind", "en", kind=kind))
    return con.execute(f"SELECT * REPLACE (CAST(extra AS VARCHAR) AS extra) FROM main.{kind}").df()  # noqa: S608
