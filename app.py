"""Kehu 客户 — entry point: page config, sign-in gate, navigation and the shared sidebar."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import streamlit as st

from core import auth, db, segment_scope
from core.metrics.base import customer_base
from core.settings import Settings
from ui import context, errors, filter_bar, gate, sidebar
from ui.cache import shared

ROOT = Path(__file__).parent

st.set_page_config(page_title="Kehu 客户", page_icon="👥", layout="wide")

lang = sidebar.language_switch()
con = context.cursor()
user = gate.require_user(con, lang)  # draws the sign-in page and stops when nobody is signed in
scope = auth.scope_for(user, con)  # row-level scope, applied by core in every query

choice = sidebar.render(con, lang, scope)
ctx = context.Ctx(
    con=con,
    lang=lang,
    settings=Settings(as_of=choice.as_of),
    filters=choice.filters.without_segments(),
    user=user,
    data_version=db.data_version(con),
    source_version=db.source_version(con),
    period=choice.period,
)
if choice.filters.segments:  # membership computed once per data version, date and filters
    population = shared(customer_base)(ctx)
    ctx = dataclasses.replace(ctx, filters=segment_scope.resolve(con, ctx.settings, choice.filters, population))
st.session_state[context.CTX_KEY] = ctx


def _page(file: str, key: str, icon: str, default: bool = False) -> st.Page:
    return st.Page(ROOT / "pages" / file, title=context.current().t(key), icon=icon,
                   url_path=file.removesuffix(".py"), default=default)


t = context.current().t
pages = {
    t("nav.group.analyse"): [
        _page("overview.py", "nav.overview", ":material/dashboard:", default=True),
        _page("customers.py", "nav.customers", ":material/person_search:"),
        _page("segments.py", "nav.segments", ":material/donut_small:"),
        _page("lifecycle.py", "nav.lifecycle", ":material/timeline:"),
        _page("churn.py", "nav.churn", ":material/warning:"),
        _page("satisfaction.py", "nav.satisfaction", ":material/sentiment_satisfied:"),
        _page("whatif.py", "nav.whatif", ":material/tune:"),
    ],
    t("nav.group.act"): [
        _page("followup.py", "nav.followup", ":material/event_available:"),
        _page("data.py", "nav.data", ":material/upload_file:"),
    ],
    t("nav.group.manage"): [
        _page("admin.py", "nav.admin", ":material/admin_panel_settings:"),
    ],
}
page = st.navigation(pages, position="sidebar", expanded=True)
if page.url_path not in ("data", "admin"):  # the filters do not apply to those two
    filter_bar.render(choice, lang, page.url_path or "overview")  # the default page's path is ""
try:
    page.run()
except Exception as exc:  # st.stop/st.rerun are BaseExceptions and pass through
    errors.show(exc, lang)
finally:
    # A page run without app.py must not find this run's context (see ui.context.current).
    st.session_state.pop(context.CTX_KEY, None)
