"""Streamlit helpers shared by the pages: session context, cached core calls, charts, badges."""
