"""Data 数据 — upload files, confirm the columns, read the data doctor, import all-or-nothing, undo, export;
remove the demo company."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from core import auth, demo, export, ingest
from core.errors import KehuError
from core.ingest.clean import DATE_FIELDS
from core.ingest.templates import template_csv, template_xlsx
from ui import context

ctx = context.current()
t = ctx.t
user = ctx.user
username = getattr(user, "username", None)
may_import = auth.can_import(user)
ENCODINGS = ["auto", "utf-8", "gb18030", "utf-16", "big5", "latin-1"]
STAGED_KEY = "data.staged"  # {(file_id, kind, encoding, sheet): Staged} for this session only
PEEK_KEY = "data.peeked"  # {file_id: detected encoding or None} for this session only
GEN_KEY = "data.uploader_gen"  # a new uploader (empty) after every successful import
DONE_KEY = "data.last_reports"  # import ids of the last successful import, shown until a new upload

st.title(t("nav.data"))
st.caption(t("data.intro"))


def _workdir() -> Path:
    """A temp folder for this session's uploads and transcoded copies."""
    if "data.workdir" not in st.session_state:
        st.session_state["data.workdir"] = tempfile.mkdtemp(prefix="kehu-upload-")
    return Path(st.session_state["data.workdir"])


def _staged(upload, kind: str, encoding: str | None, sheet: str | None) -> ingest.Staged:
    """Stage an upload once per (file, kind, encoding, sheet); later reruns reuse it."""
    cache = st.session_state.setdefault(STAGED_KEY, {})
    key = (upload.file_id, kind, encoding, sheet)
    if key not in cache:
        path = ingest.save_upload(_workdir(), upload.name, upload.getvalue())
        cache[key] = ingest.stage(ctx.con, path, kind, _workdir(), name=upload.name, encoding=encoding,
                                  sheet=sheet, lang=ctx.lang)
    return cache[key]


def _forget_staged() -> None:
    for st_ in st.session_state.pop(STAGED_KEY, {}).values():
        ingest.drop(ctx.con, st_.token)
    st.session_state.pop(PEEK_KEY, None)


def _detected_encoding(upload) -> str | None:
    """What automatic detection picks for this upload (None: not a text file)."""
    cache = st.session_state.setdefault(PEEK_KEY, {})
    if upload.file_id not in cache:
        cache[upload.file_id] = ingest.peek_encoding(ingest.save_upload(_workdir(), upload.name, upload.getvalue()))
    return cache[upload.file_id]


def _encoding_option(enc: str, detected: str) -> str:
    if enc != "auto":
        return ingest.encoding_label(enc)
    if detected == "unknown":
        return t("data.encoding_unknown")
    return t("data.encoding_auto", enc=ingest.encoding_label(detected))


def _field_label(field: str | None) -> str:
    return t("data.field.extra") if field is None else f"{t(f'data.field.{field}')} ({field})"


def _mapping_editor(st_: ingest.Staged, key: str) -> list[str | None]:
    """One selectbox per file column, preset to the remembered/suggested field."""
    st.markdown(f"**{t('data.mapping')}**")
    options: list[str | None] = [None, *ingest.FIELDS[st_.kind]]
    chosen: list[str | None] = []
    grid = st.columns(4)
    for i, header in enumerate(st_.info.headers):
        example = next((r[i] for r in st_.info.sample if i < len(r) and r[i].strip()), "")
        preset = st_.mapping[i] if i < len(st_.mapping) else None
        with grid[i % 4]:
            chosen.append(st.selectbox(
                header or f"#{i + 1}", options, index=options.index(preset), format_func=_field_label,
                key=f"{key}.map.{i}", help=f"{t('data.col.example')}: {example}" if example else None,
            ))
    return chosen


def _draw_doctor(d: ingest.Diagnosis) -> None:
    st.markdown(f"**{t('data.doctor')}** — " + t("data.doctor.summary", read=f"{d.rows_read:,}",
                                                    ok=f"{d.will_load:,}", bad=f"{d.will_reject:,}"))
    if d.needs_dayfirst:
        st.warning(t("data.doctor.needs_dayfirst", examples=", ".join(d.ambiguous_examples)))
    elif d.dayfirst_source == "data":
        st.caption(t("data.doctor.dayfirst_data", order=t(f"data.dayfirst.{'yes' if d.dayfirst else 'no'}")))
    elif d.dayfirst_source == "conflict":
        st.warning(t("data.doctor.conflict"))
    if d.scale:
        st.caption(t("data.doctor.scale", scale=t(f"data.scale.{d.scale}"), source=t(f"data.scale_source.{d.scale_source}")))
    if d.same_file_import:
        st.warning(t("data.warn.same_file", id=d.same_file_import))
    orphans = ingest.orphan_text(d, ctx.lang)
    if orphans:
        st.warning(orphans)
    actions = {"load": t("data.doctor.load"), "reject": t("data.doctor.reject"), "warn": t("data.doctor.warn")}
    groups = pd.DataFrame({
        t("data.col.what"): [t("data.doctor.ok") if g.code == "ok" else
                             t(f"data.{'reason' if g.action == 'reject' else 'warn'}.{g.code}") for g in d.groups],
        t("data.col.count"): [g.count for g in d.groups],
        t("data.col.action"): [actions[g.action] for g in d.groups],
        t("data.col.row"): [", ".join(str(r) for r in g.rows) for g in d.groups],
    })
    st.dataframe(groups, hide_index=True, width="stretch")
    cols = pd.DataFrame({
        t("data.col.source"): [c.header for c in d.columns],
        t("data.col.field"): [_field_label(c.field) for c in d.columns],
        t("data.col.parse_rate"): [f"{100 * c.parse_rate:.1f} %" for c in d.columns],
        t("data.col.bad_examples"): [", ".join(c.bad_examples) for c in d.columns],
    })
    with st.expander(t("data.doctor.columns")):
        st.dataframe(cols, hide_index=True, width="stretch")


def _one_file(upload, kind: str, mode: str) -> ingest.Staged | None:
    """Encoding/sheet choice, mapping, doctor for one upload; None when it cannot be imported."""
    key = f"data.{upload.file_id}"
    with st.container(border=True):
        st.markdown(f"##### {t('data.file', file=upload.name)}")
        left, right = st.columns(2)
        detected = _detected_encoding(upload)
        enc = "auto"
        if detected is not None:  # text files only: Excel and Parquet carry their encoding
            enc = left.selectbox(t("data.encoding"), ENCODINGS, key=f"{key}.enc",
                                 format_func=lambda e: _encoding_option(e, detected))
        try:
            st_ = _staged(upload, kind, None if enc == "auto" else enc, None)
            if st_.info.sheets and len(st_.info.sheets) > 1:
                sheet = right.selectbox(t("data.sheet"), st_.info.sheets, key=f"{key}.sheet",
                                        index=st_.info.sheets.index(st_.info.sheet))
                if sheet != st_.info.sheet:
                    st_ = _staged(upload, kind, None if enc == "auto" else enc, sheet)
            info = st_.info
            st.caption(t("data.detected", fmt=info.fmt, enc=ingest.encoding_label(info.encoding) if info.encoding
                         else "-", line=info.header_line, rows=f"{st_.rows_read:,}"))
            mapping = _mapping_editor(st_, key)
            a, b = st.columns(2)
            dayfirst = "auto"
            if any(f in DATE_FIELDS for f in mapping):  # the order of day and month matters for dates only
                dayfirst = a.radio(t("data.dayfirst"), ["auto", "yes", "no"], key=f"{key}.dayfirst",
                                   horizontal=True, format_func=lambda v: t(f"data.dayfirst.{v}"))
            # The scale box shows what was detected, so it is drawn after the values are typed.
            scale = st.session_state.get(f"{key}.scale", "auto") if kind == "surveys" else None
            opts = ingest.Options(dayfirst=None if dayfirst == "auto" else dayfirst == "yes",
                                  scale=None if scale in (None, "auto") else scale)
            profile = ingest.prepare(ctx.con, st_, mapping, opts, lang=ctx.lang)
            if kind == "surveys":
                found = profile.scale if scale == "auto" else None
                b.selectbox(t("data.scale"), ["auto", "nps", "csat", "ces"], key=f"{key}.scale",
                            format_func=lambda v: (t("data.scale.auto", scale=t(f"data.scale.{found}")) if found
                                                   else t("data.scale.auto_plain")) if v == "auto"
                            else t(f"data.scale.{v}"))
            _draw_doctor(ingest.diagnose(ctx.con, st_, mode, lang=ctx.lang))
            return st_
        except KehuError as err:
            st.error(str(err))
            return None


def _last_import() -> None:
    """The outcome of the import just made (until another file is chosen)."""
    ids = st.session_state.get(DONE_KEY, [])
    h = ingest.history(ctx.con) if ids else None
    for import_id in ids:
        row = h[h["import_id"] == import_id]
        if row.empty:
            continue
        r = row.iloc[0]
        st.success(t("data.imported", id=import_id, file=r["file_name"], read=f"{r['rows_read']:,}",
                     loaded=f"{r['rows_loaded']:,}", rejected=f"{r['rows_rejected']:,}"))
        if r["rows_rejected"]:
            st.download_button(t("data.rejects_download"), on_click="ignore", key=f"data.rej.{import_id}",
                               data=lambda i=import_id: export.to_csv_bytes(ingest.rejects_frame(ctx.con, i, ctx.lang)),
                               file_name=f"rejects_{import_id}.csv", mime="text/csv")
    if ids:
        st.caption(t("data.imported_next"))


def _import_tab() -> None:
    if not may_import:
        st.info(t("data.no_permission"))
        return
    kind = st.selectbox(t("data.kind"), list(ingest.KINDS), key="data.kind",
                        format_func=lambda k: t(f"data.kind.{k}"))
    mode = st.radio(t("data.mode"), list(ingest.MODES), key="data.mode", horizontal=True,
                    format_func=lambda m: t(f"data.mode.{m}"))
    gen = st.session_state.get(GEN_KEY, 0)
    uploads = st.file_uploader(t("data.upload"), accept_multiple_files=True, key=f"data.files.{gen}",
                               type=["csv", "tsv", "txt", "xlsx", "xls", "parquet"])
    if not uploads:
        _last_import()
        return
    st.session_state.pop(DONE_KEY, None)
    ready = [_one_file(u, kind, mode) for u in uploads]
    usable = [s for s in ready if s is not None]
    blocked = not usable or len(usable) < len(ready) or any(
        s.profile is not None and s.profile.needs_dayfirst for s in usable)
    if st.button(t("data.import"), type="primary", disabled=blocked, key="data.import"):
        try:
            with st.spinner(t("data.importing")):
                reports = ingest.load(ctx.con, usable, mode, username=username, lang=ctx.lang)
        except KehuError as err:
            st.error(str(err))
            return
        # Done: the staged files are gone and the uploader starts empty, so nothing invites a second import.
        st.session_state[DONE_KEY] = [r.import_id for r in reports]
        st.session_state[GEN_KEY] = gen + 1
        _forget_staged()
        st.rerun()


def _demo_parts(fp: demo.DemoFootprint) -> str:
    """'4,920 条问卷、166 条跟进…': the kinds of rows that go, zero counts left out."""
    counts = {k: getattr(fp, k) for k in ("customers", "orders", "surveys", "followups", "targets")}
    return t("data.orphans.sep").join(t(f"data.demo.part.{k}", n=f"{n:,}") for k, n in counts.items() if n)


def _demo_section() -> None:
    """Remove the demo company: for users who may import, while any of it is left; confirmed first."""
    if not may_import:
        return
    done = st.session_state.pop("data.demo.done", None)
    if done:
        st.success(done)
    fp = demo.footprint(ctx.con)
    if not fp.total:
        return
    with st.container(border=True):
        st.markdown(f"**{t('data.demo.title')}**")
        st.caption(t("data.demo.intro"))
        if not st.session_state.get("data.demo.confirming"):
            if st.button(t("data.demo.remove"), key="data.demo.remove", icon=":material/delete:"):
                st.session_state["data.demo.confirming"] = True
                st.rerun()
            return
        st.warning(t("data.demo.confirm", parts=_demo_parts(fp)))
        yes, no, _ = st.columns([1, 1, 3])
        if no.button(t("data.demo.cancel"), key="data.demo.cancel"):
            st.session_state.pop("data.demo.confirming", None)
            st.rerun()
        if yes.button(t("data.demo.yes"), type="primary", key="data.demo.yes"):
            try:
                gone = demo.remove_demo(ctx.con, username, lang=ctx.lang)
            except KehuError as err:
                st.error(str(err))
                return
            st.session_state.pop("data.demo.confirming", None)
            st.session_state["data.demo.done"] = t("data.demo.removed", parts=_demo_parts(gone))
            st.rerun()


def _status(status: str, replaced_by) -> str:
    if status == "replaced" and pd.notna(replaced_by):
        return t("data.status.replaced", id=int(replaced_by))
    return t(f"data.status.{status}") if status in ("done", "undone", "removed") else status


def _history_tab() -> None:
    h = ingest.history(ctx.con)
    if h.empty:
        st.info(t("data.history.empty"))
        return
    shown = pd.DataFrame({
        t("data.hist.id"): h["import_id"], t("data.hist.kind"): [t(f"data.kind.{k}") if k in ingest.KINDS else k
                                                                  for k in h["kind"]],
        t("data.hist.file"): h["file_name"],
        t("data.hist.status"): [_status(s, by) for s, by in zip(h["status"], h["replaced_by"], strict=True)],
        t("data.hist.mode"): [t(f"data.hist.mode.{m}") if m in ingest.MODES else m for m in h["mode"]],
        t("data.hist.user"): h["username"],
        t("data.hist.when"): h["started_at"], t("data.hist.read"): h["rows_read"],
        t("data.hist.loaded"): h["rows_loaded"], t("data.hist.rejected"): h["rows_rejected"],
        t("data.hist.checksum"): h["checksum"].str.slice(0, 12),
    })
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        t("data.hist.status"): st.column_config.TextColumn(width="medium"),
        t("data.hist.mode"): st.column_config.TextColumn(width="small" if ctx.lang == "en" else "medium"),
    })
    undoable = h[h["can_undo"]]["import_id"].tolist()
    if may_import and undoable:
        pick = st.selectbox(t("data.undo_pick"), undoable, key="data.undo_pick",
                            format_func=lambda i: f"#{i} · {h.loc[h['import_id'] == i, 'file_name'].iloc[0]}")
        if st.button(t("data.undo"), key="data.undo"):
            try:
                removed = ingest.undo(ctx.con, int(pick), username=username, lang=ctx.lang)
                st.success(t("data.undone", id=pick, n=removed))
            except KehuError as err:
                st.error(str(err))
    rejected = h[h["rows_rejected"] > 0]["import_id"].tolist()
    if rejected:
        pick_r = st.selectbox(t("data.rejects_download"), rejected, key="data.rej_pick")
        st.download_button(t("common.download_csv"), on_click="ignore", key="data.rej_dl",
                           data=lambda: export.to_csv_bytes(ingest.rejects_frame(ctx.con, int(pick_r), ctx.lang)),
                           file_name=f"rejects_{pick_r}.csv", mime="text/csv")


def _templates_tab() -> None:
    st.markdown(f"**{t('data.templates')}**")
    lang = st.radio(t("data.template_lang"), ["zh", "en"], key="data.tpl_lang", horizontal=True,
                    format_func=lambda v: "中文" if v == "zh" else "English")
    for kind, col in zip(ingest.KINDS, st.columns(3), strict=True):
        col.markdown(t(f"data.kind.{kind}"))
        col.download_button(t("common.download_csv"), on_click="ignore", key=f"data.tpl.{kind}.csv",
                            data=lambda k=kind: template_csv(k, lang), file_name=f"kehu_{kind}_{lang}.csv",
                            mime="text/csv")
        col.download_button(t("common.download_xlsx"), on_click="ignore", key=f"data.tpl.{kind}.xlsx",
                            data=lambda k=kind: template_xlsx(k, lang), file_name=f"kehu_{kind}_{lang}.xlsx")
    st.markdown(f"**{t('data.export')}**")
    for kind, col in zip(ingest.KINDS, st.columns(3), strict=True):
        col.markdown(t(f"data.kind.{kind}"))
        col.download_button(t("common.download_csv"), on_click="ignore", key=f"data.exp.{kind}.csv",
                            data=lambda k=kind: export.to_csv_bytes(ingest.table_frame(ctx.con, k)),
                            file_name=f"{kind}.csv", mime="text/csv")
        col.download_button(t("common.download_xlsx"), on_click="ignore", key=f"data.exp.{kind}.xlsx",
                            data=lambda k=kind: export.to_xlsx_bytes(ingest.table_frame(ctx.con, k), k),
                            file_name=f"{kind}.xlsx")


_demo_section()
tab_import, tab_history, tab_templates = st.tabs([t("data.tab.import"), t("data.tab.history"),
                                                  t("data.tab.templates")])
with tab_import:
    _import_tab()
with tab_history:
    _history_tab()
with tab_templates:
    _templates_tab()
