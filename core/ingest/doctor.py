"""Data doctor: a dry run that says, before anything is written, what will happen to every row."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from core import demo
from core.i18n import t
from core.ingest import mapping as mp
from core.ingest.clean import DATE_FIELDS
from core.ingest.load import Staged, _warnings, plan, prepare


@dataclass
class ColumnHealth:
    """How well one mapped column parsed."""

    field: str
    header: str
    non_empty: int
    parsed: int
    bad_examples: list[str]

    @property
    def parse_rate(self) -> float:
        return self.parsed / self.non_empty if self.non_empty else 1.0


@dataclass
class Group:
    """A group of rows and its fate: ``action`` is load | reject | warn."""

    code: str  # reason code (reject) or warning code
    action: str
    count: int
    rows: list[int] = field(default_factory=list)  # example row numbers


@dataclass
class Diagnosis:
    """The doctor's whole answer for one file in one mode."""

    file: str
    kind: str
    mode: str
    rows_read: int
    will_load: int
    will_reject: int
    columns: list[ColumnHealth]
    groups: list[Group]
    dayfirst: bool
    dayfirst_source: str
    needs_dayfirst: bool
    ambiguous_examples: list[str]
    scale: str | None
    scale_source: str
    same_file_import: int | None
    # customers replaced: rows of other tables whose customer the new file lacks (orders, surveys,
    # followups), and whether the demo company is still loaded (then removing it is the advice)
    orphans: dict[str, int] = field(default_factory=dict)
    demo_loaded: bool = False

    @property
    def blocking(self) -> bool:
        """True while a question must be answered before importing."""
        return self.needs_dayfirst


def diagnose(con: duckdb.DuckDBPyConnection, st: Staged, mode: str, lang: str = "en") -> Diagnosis:
    """Counts and examples from the staged rows; the same plan the load will execute."""
    if st.profile is None:
        prepare(con, st, lang=lang)
    assert st.profile is not None
    plan(con, st, mode, lang)
    final = f"{st.table}_final"
    columns: list[ColumnHealth] = []
    shown = [(i, f) for i, f in enumerate(st.mapping) if f and f not in ("status", "kind", "scale")]
    typed = {f for _, f in shown if f in DATE_FIELDS or f in ("amount", "score")}
    non_empty: list[int] = []
    parsed: list[int] = []
    if shown:
        # Non-empty cells from the staged text, parsed values from the typed rows (a value that
        # parsed was never empty): two scans, no join.
        ne_items = ", ".join(f"count(*) FILTER (nullif(trim(c{i + 1}), '') IS NOT NULL)" for i, _ in shown)
        ok_items = ", ".join(f"count({f})" if f in typed else "0" for _, f in shown)
        non_empty = list(con.execute(f"SELECT {ne_items} FROM {st.table}").fetchall()[0])  # noqa: S608 - own names
        parsed = list(con.execute(f"SELECT {ok_items} FROM {final}").fetchall()[0])  # noqa: S608 - own names
    for (i, f), n, ok in zip(shown, non_empty, parsed, strict=True):
        raw = f"c{i + 1}"
        bad = [r[0] for r in con.execute(
            f"SELECT DISTINCT r.{raw} FROM {st.table}_rows r JOIN (SELECT _row FROM {final} "  # noqa: S608
            f"WHERE {f} IS NULL) f USING (_row) WHERE nullif(trim(r.{raw}), '') IS NOT NULL LIMIT 3"
        ).fetchall()] if f in typed and ok < n else []
        columns.append(ColumnHealth(f, st.info.headers[i], n, ok if f in typed else n, bad))

    groups: list[Group] = []
    will_load = con.execute(f"SELECT count(*) FROM {final} WHERE reason IS NULL").fetchall()[0][0]  # noqa: S608
    groups.append(Group("ok", "load", will_load))
    for reason, n, rows in con.execute(
        f"SELECT reason, count(*), list(_row ORDER BY _row)[1:5] FROM {final} "  # noqa: S608
        "WHERE reason IS NOT NULL GROUP BY reason ORDER BY reason"
    ).fetchall():
        groups.append(Group(reason, "reject", n, list(rows)))
    if st.malformed:
        rows = [r[0] for r in con.execute(f"SELECT line FROM {st.table}_bad ORDER BY line LIMIT 5").fetchall()]  # noqa: S608
        groups.append(Group("malformed_line", "reject", st.malformed, rows))
    for code, n in _warnings(con, st, final).items():
        groups.append(Group(code, "warn", n))
    key = mp.KEYS[st.kind]
    if mode == "upsert":
        n = con.execute(
            f"SELECT count(*) FROM main.{st.kind} WHERE {key} IN (SELECT {key} FROM {final} WHERE reason IS NULL)"  # noqa: S608
        ).fetchone()[0]
        if n:
            groups.append(Group("will_update", "warn", n))
    if mode == "replace":
        n = con.execute(f"SELECT count(*) FROM main.{st.kind}").fetchone()[0]  # noqa: S608
        if n:
            groups.append(Group("will_replace", "warn", n))
    same = con.execute(
        "SELECT max(import_id) FROM imports WHERE checksum = ? AND kind = ? AND status = 'done'",
        [st.info.checksum, st.kind],
    ).fetchone()[0]
    prof = st.profile
    will_reject = st.rows_read - will_load
    orphans = _orphans(con, final) if st.kind == "customers" and mode == "replace" else {}
    return Diagnosis(st.info.name, st.kind, mode, st.rows_read, will_load, will_reject, columns, groups,
                     prof.dayfirst, prof.dayfirst_source, prof.needs_dayfirst, prof.ambiguous_examples,
                     prof.scale, prof.scale_source, same, orphans,
                     demo.is_loaded(con) if orphans else False)


def _orphans(con: duckdb.DuckDBPyConnection, final: str) -> dict[str, int]:
    """Orders, surveys and (not deleted) follow-ups whose customer id the replacing file does not have."""
    keep = f"(SELECT customer_id FROM {final} WHERE reason IS NULL)"  # noqa: S608 - own names
    row = con.execute(
        f"SELECT (SELECT count(*) FROM main.orders x WHERE x.customer_id NOT IN {keep}), "  # noqa: S608
        f"(SELECT count(*) FROM main.surveys x WHERE x.customer_id NOT IN {keep}), "
        f"(SELECT count(*) FROM main.followups x WHERE NOT x.deleted AND x.customer_id NOT IN {keep})"
    ).fetchall()[0]
    return {k: int(n) for k, n in zip(("orders", "surveys", "followups"), row, strict=True) if n}


def orphan_text(d: Diagnosis, lang: str = "en") -> str | None:
    """The warning for ``Diagnosis.orphans`` (None when nothing would point to a missing customer)."""
    if not d.orphans:
        return None
    parts = [t(f"data.orphans.{k}", lang, n=f"{n:,}") for k, n in d.orphans.items()]
    return t("data.warn.orphans_demo" if d.demo_loaded else "data.warn.orphans", lang,
             parts=t("data.orphans.sep", lang).join(parts))
