"""Satisfaction 满意度 — NPS and CSAT with margins, by group, detractors by value, complaints, comment words,
all over the survey answers dated in the sidebar's date range."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from core.errors import KehuError
from core.metrics import satisfaction as sat
from ui import badges, context
from ui import charts_satisfaction as charts
from ui import format as fmt
from ui.cache import cached

ctx = context.current()
t = ctx.t
small_n = ctx.settings.small_sample_n
keep = {k: st.query_params.get_all(k) for k in st.query_params}
rng = ctx.range  # every figure counts the answers dated in it; who a customer is stays as of as_of
span = {"start": rng.start, "end": rng.end}
WEEKS_SHOWN = 26

st.title(t("nav.satisfaction"))


def group_label(by: str, code: object) -> str:
    if by == "segment":
        return badges.label("segment", code, ctx.lang)
    return str(code) if code is not None and code == code else t("sat.unknown_group")


def change(now: float | None, before: float | None, unit: str) -> str | None:
    return None if now is None or before is None else fmt.delta(now - before, unit, ctx.lang)


try:
    overall = cached(sat.overall)(ctx, **span)
    dates = {"start": rng.start.isoformat(), "end": rng.end.isoformat(), "n": f"{overall['responses']:,}"}
    st.caption(t("sat.range_line_custom", **dates) if rng.preset == "custom"
               else t("sat.range_line", preset=t(f"sidebar.range.{rng.preset}"), **dates))
    st.caption(t("sat.caption", as_of=ctx.as_of.isoformat()))
    if not overall["responses"]:
        first, last = cached(sat.answer_dates)(ctx)
        if last is None:
            st.info(t("sat.empty"))
            st.page_link("pages/data.py", label=t("sat.go_import"), icon=":material/upload_file:")
        else:
            st.info(t("sat.empty_range", start=rng.start.isoformat(), end=rng.end.isoformat(),
                      first=first.isoformat(), last=last.isoformat()))
        st.stop()

    # --- headline numbers, vs the same number of days just before --------------------------
    before = rng.previous()
    prev = cached(sat.overall)(ctx, start=before.start, end=before.end)
    cards = st.columns(4)
    with cards[0].container(border=True, height="stretch"):
        margin = overall["nps_margin"]
        st.metric(t("kpi.nps"), fmt.score(overall["nps"]), delta=change(overall["nps"], prev["nps"], "nps"),
                  help=t("sat.nps_help") + "  \n" + t("sat.prev_value", value=fmt.score(prev["nps"]),
                                                      n=f"{prev['nps_n']:,}"),
                  border=False)
        st.caption(t("sat.nps_sub", margin=f"{margin:.1f}" if margin is not None else "—",
                     n=f"{overall['nps_n']:,}")
                   + (" · " + t("sat.small_flag", n=small_n) if overall["small_sample"] else ""))
    with cards[1].container(border=True, height="stretch"):
        st.metric(t("kpi.csat"), fmt.pct(overall["csat"]), delta=change(overall["csat"], prev["csat"], "pct"),
                  help=t("sat.csat_help") + "  \n" + t("sat.prev_value", value=fmt.pct(prev["csat"]),
                                                       n=f"{prev['csat_n']:,}"))
        st.caption(t("sat.csat_sub", mean=f"{overall['csat_mean']:.2f}" if overall["csat_mean"] else "—",
                     n=f"{overall['csat_n']:,}"))
    with cards[2].container(border=True, height="stretch"):
        det_share = 100 * overall["detractors"] / overall["nps_n"] if overall["nps_n"] else None
        st.metric(t("ab.sat.detractors"), fmt.count(overall["detractors"]), help=t("sat.split_help"))
        st.caption(t("sat.split_sub", share=fmt.pct(det_share), promoters=f"{overall['promoters']:,}",
                     passives=f"{overall['passives']:,}"))
    with cards[3].container(border=True, height="stretch"):
        st.metric(t("ab.sat.complaints"), fmt.count(overall["complaints"]))
        share = 100 * overall["complaints"] / overall["responses"]
        ces = (" · " + t("sat.ces_sub", mean=f"{overall['ces_mean']:.2f}", n=f"{overall['ces_n']:,}")
               if overall["ces_n"] else "")
        st.caption(t("sat.complaints_sub", share=f"{share:.1f}", n=f"{overall['responses']:,}") + ces)
    compared = {"start": before.start.isoformat(), "end": before.end.isoformat()}
    st.caption(t("sat.vs_previous", **compared) if prev["nps_n"] or prev["csat_n"]
               else t("sat.no_previous", **compared))

    # --- trends ------------------------------------------------------------------------------
    st.subheader(t("sat.trends"))
    grain = st.segmented_control(
        t("sat.grain"), ["month", "week"], default="month", key="sat.grain",
        format_func=lambda g: t(f"sat.grain.{g}"), label_visibility="collapsed",
    ) or "month"
    trend_start = rng.start
    if grain == "week":  # the ISO weeks the range touches, at most the newest 26
        last_monday = rng.end - timedelta(days=rng.end.weekday())
        weeks = (last_monday - (rng.start - timedelta(days=rng.start.weekday()))).days // 7 + 1
        if weeks > WEEKS_SHOWN:
            trend_start = last_monday - timedelta(weeks=WEEKS_SHOWN - 1)
            st.caption(t("sat.weeks_capped", total=weeks, start=trend_start.isoformat()))
    nps_tr = cached(sat.nps_trend)(ctx, grain=grain, start=trend_start, end=rng.end)
    csat_tr = cached(sat.csat_trend)(ctx, grain=grain, start=trend_start, end=rng.end)
    left, right = st.columns(2)
    if nps_tr.empty:
        left.info(t("sat.no_nps"))
    else:
        left.altair_chart(charts.nps_trend(nps_tr, t, small_n, grain, trend_start, rng.end), width="stretch")
    csat_only = csat_tr[csat_tr["n"] > 0]
    if csat_only.empty:
        right.info(t("sat.no_csat"))
    else:
        right.altair_chart(charts.csat_trend(csat_only, t, small_n, grain, trend_start, rng.end),
                           width="stretch")
    st.caption(t("sat.band_note", n=small_n))

    # --- by group ----------------------------------------------------------------------------
    st.subheader(t("sat.by_group"))
    by = st.segmented_control(
        t("sat.group_by"), ["segment", "region", "channel", "owner"], default="segment",
        key="sat.by", format_func=lambda g: t(f"sat.by.{g}"),
    ) or "segment"
    groups = cached(sat.by_group)(ctx, by=by, **span)
    groups = groups.assign(label=[group_label(by, g) for g in groups["group"]])
    if groups["nps_n"].sum() == 0:
        st.info(t("sat.no_nps"))
    else:
        chart_col, table_col = st.columns([4, 3])
        chart_col.altair_chart(charts.group_nps(groups, t, t(f"sat.by.{by}"), small_n),
                               width="stretch")
        flagged = int(groups["nps_small"].sum())
        table = groups.assign(label=[f"{lb} ⚠️" if small else lb
                                     for lb, small in zip(groups["label"], groups["nps_small"], strict=True)])
        table_col.dataframe(
            table[["label", "nps", "nps_margin", "nps_n", "csat"]],
            hide_index=True, width="stretch",
            column_config={
                "label": st.column_config.TextColumn(t(f"sat.by.{by}"), width="medium"),
                "nps": st.column_config.NumberColumn("NPS", format="%+.1f"),
                "nps_margin": st.column_config.NumberColumn("±", format="%.1f", help=t("sat.margin")),
                "nps_n": st.column_config.NumberColumn("n", format="%d", help=t("sat.nps_n")),
                "csat": st.column_config.NumberColumn("CSAT %", format="%.1f"),
            },
        )
        if flagged:
            table_col.caption(t("sat.flagged", k=flagged, n=small_n))

    # --- distribution and complaints ---------------------------------------------------------
    st.subheader(t("sat.dist_and_complaints"))
    scales = [s for s, n in (("nps", overall["nps_n"]), ("csat", overall["csat_n"]), ("ces", overall["ces_n"])) if n]
    left, right = st.columns(2)
    with left:
        scale = st.segmented_control(t("sat.scale"), scales, default=scales[0] if scales else None,
                                     key="sat.scale", format_func=str.upper) or (scales[0] if scales else None)
        if scale:
            dist = cached(sat.score_distribution)(ctx, scale=scale, **span)
            st.altair_chart(charts.score_distribution(dist, scale, t), width="stretch")
        else:
            st.info(t("sat.no_scores"))
    with right:
        complaints = cached(sat.complaints_by_month)(ctx, **span)
        if complaints["complaints"].sum() == 0:
            st.info(t("sat.no_complaints"))
        else:
            st.altair_chart(charts.complaints_trend(complaints, t, rng.start, rng.end), width="stretch")

    # --- detractors --------------------------------------------------------------------------
    st.subheader(t("sat.detractors_title"))
    det = cached(sat.detractors)(ctx, limit=200, **span)
    if det.empty:
        st.success(t("sat.no_detractors"))
    else:
        st.caption(t("sat.detractors_caption", n=len(det), as_of=ctx.as_of.isoformat()))
        shown = det.assign(
            link=[badges.profile_link(c, keep) for c in det["customer_id"]],
            abc_tier=badges.as_lists(det["abc_tier"]),
            lifecycle_stage=badges.as_lists(det["lifecycle_stage"]),
            comment=det["comment"].fillna(""),
        )
        st.dataframe(
            shown[["link", "name", "owner", "monetary", "abc_tier", "lifecycle_stage", "last_score",
                   "last_survey_date", "complaint_count", "comment"]],
            hide_index=True, width="stretch", height=360,
            column_config={
                "link": st.column_config.LinkColumn(t("cust.customer_id"), display_text=badges.LINK_PATTERN,
                                                    help=t("sat.open_profile")),
                "name": t("cust.name"),
                "owner": t("sidebar.owner"),
                "monetary": st.column_config.NumberColumn(t("metrics.monetary"), format="¥%,.0f"),
                "abc_tier": badges.column("tier", ctx.lang, "ABC", help=t("metrics.abc_tier")),
                "lifecycle_stage": badges.column("stage", ctx.lang, t("cust.stage")),
                "last_score": st.column_config.NumberColumn(t("sat.last_nps"), format="%d"),
                "last_survey_date": st.column_config.DateColumn(t("sat.last_survey"), format="YYYY-MM-DD"),
                "complaint_count": st.column_config.NumberColumn(t("sat.complaints_in_range"), format="%d"),
                "comment": st.column_config.TextColumn(t("sat.comment"), width="large"),
            },
        )

    # --- keywords ----------------------------------------------------------------------------
    st.subheader(t("sat.keywords"))
    words = cached(sat.keywords)(ctx, top=25, **span)
    if words.empty:
        st.info(t("sat.no_comments"))
    else:
        n_comments = int(round(words["comments"].iloc[0] * 100 / words["share"].iloc[0]))
        left, right = st.columns([2, 3])
        with left:
            event = st.altair_chart(charts.keyword_bars(words, t, n_comments), width="stretch",
                                    on_select="rerun", key="sat.kw_chart")
            clicked = [p.get("keyword") for p in event.selection.get(charts.KEYWORD_SELECTION, [])
                       if p.get("keyword")] if event else []
            if clicked and clicked[0] != st.session_state.get("sat.kw_clicked"):
                st.session_state["sat.kw_clicked"] = clicked[0]
                st.session_state["sat.keyword"] = clicked[0]
        with right:
            options = words["keyword"].tolist()
            if st.session_state.get("sat.keyword") not in options:
                st.session_state["sat.keyword"] = options[0]
            keyword = st.selectbox(t("sat.keyword_pick"), options, key="sat.keyword",
                                   help=t("sat.keyword_help"))
            row = words.set_index("keyword").loc[keyword]
            st.caption(t("sat.keyword_stats", n=int(row["comments"]), share=f"{row['share']:.1f}",
                         neg=f"{row['negative_share']:.0f}"))
            comments = cached(sat.comments_for_keyword)(ctx, keyword=keyword, limit=50, **span)
            kinds = {"complaint": t("sat.kind.complaint"), "survey": t("sat.kind.survey")}
            comments = comments.assign(
                link=[badges.profile_link(c, keep) for c in comments["customer_id"]],
                kind=[kinds.get(k, k) for k in comments["kind"]],
                answer=[f"{str(sc).upper()} {int(v)}" if isinstance(sc, str) and pd.notna(v) else "—"
                        for sc, v in zip(comments["scale"], comments["score"], strict=True)],
            )
            st.dataframe(
                comments[["survey_date", "comment", "answer", "kind", "link"]],
                hide_index=True, width="stretch", height=380,
                column_config={
                    "survey_date": st.column_config.DateColumn(t("sat.date"), format="YYYY-MM-DD"),
                    "comment": t("sat.comment"),
                    "answer": t("sat.answer"),
                    "kind": t("sat.kind"),
                    "link": st.column_config.LinkColumn(t("cust.customer_id"),
                                                        display_text=badges.LINK_PATTERN),
                },
            )
            st.caption(t("sat.comments_shown", shown=len(comments)))
except KehuError as err:
    st.error(str(err))
