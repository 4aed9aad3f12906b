"""Whatif view — arrives with the dashboard-views issue; until then an honest note."""

import streamlit as st

from ui import context

ctx = context.current()
st.title(ctx.t("nav.whatif"))
st.info(ctx.t("common.coming_soon"))
